"""Which cores the local stack's processes get (devstack.cores), and the lifeline's
``--cpus``, which puts a child on them before it starts (devstack.lifeline)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest

from devstack.cores import Cores, pinned, plan
from devstack.lifeline import command, format_cpus, parse_cpus
from tests.processes import ALLOWED_CORES

needs_two_cores = pytest.mark.skipif(len(ALLOWED_CORES) < 2, reason="needs two cores to pin apart")


def test_the_emulator_gets_the_lowest_core_and_its_callers_the_rest():
    assert plan({}, allowed={0, 1}) == Cores(frozenset({0}), frozenset({1}))
    assert plan({}, allowed={7, 2, 5}) == Cores(frozenset({2}), frozenset({5, 7}))


@pytest.mark.parametrize("value", ["0", "false", "No", " no "])
def test_the_setting_turns_pinning_off(value):
    assert plan({"LOCAL_CPU_PINNING": value}, allowed={0, 1}) is None


@pytest.mark.parametrize("value", ["1", "yes", ""])
def test_other_values_of_the_setting_keep_it_on(value):
    assert plan({"LOCAL_CPU_PINNING": value}, allowed={0, 1}) == Cores(
        frozenset({0}), frozenset({1})
    )


def test_one_core_pins_nothing():
    assert plan({}, allowed={3}) is None


def test_the_plan_says_where_each_runs_and_how_to_turn_it_off():
    assert Cores(frozenset({0}), frozenset({1, 2})).describe() == (
        "the emulator on core 0, its callers on cores 1,2 "
        "(LOCAL_CPU_PINNING=0 leaves them to the scheduler)"
    )


def test_cores_are_written_and_read_back_as_the_lifeline_takes_them():
    assert format_cpus({3, 0, 12}) == "0,3,12"
    assert parse_cpus("0,3,12") == frozenset({0, 3, 12})


@pytest.mark.parametrize("text", ["", "a", "1,,2", "-1", "1;2"])
def test_anything_but_core_numbers_is_refused(text):
    with pytest.raises(ValueError, match="core numbers"):
        parse_cpus(text)


# a child that prints its own cores and those of a thread it starts
_AFFINITIES = (
    "import os, threading; seen = []\n"
    "t = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))\n"
    "t.start(); t.join()\n"
    "print(sorted(os.sched_getaffinity(0)), sorted(seen[0]))"
)


@needs_two_cores
@pytest.mark.parametrize("mode", [[], ["--watchdog"]], ids=["exec", "watchdog"])
def test_a_child_started_with_cpus_runs_there_and_so_do_its_threads(mode):
    # GIVEN one of this process's cores
    core = max(ALLOWED_CORES)
    wrapped = command([sys.executable, "-c", _AFFINITIES], cpus={core})
    # WHEN a child is started through the lifeline on it
    out = subprocess.run(
        wrapped[:2] + mode + wrapped[2:], capture_output=True, text=True, timeout=60, check=True
    )
    # THEN the child and a thread it starts run on that core only
    assert out.stdout.split("\n")[0] == f"[{core}] [{core}]"


@needs_two_cores
def test_a_child_started_without_cpus_keeps_its_parents_cores():
    out = subprocess.run(
        command([sys.executable, "-c", _AFFINITIES]),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    every = sorted(ALLOWED_CORES)
    assert out.stdout.split("\n")[0] == f"{every} {every}"


def test_bad_cpus_stop_the_lifeline_before_the_command_runs(tmp_path):
    marker = tmp_path / "ran"
    argv = command([sys.executable, "-c", f"open({str(marker)!r}, 'w')"])
    out = subprocess.run(
        [*argv[:2], "--cpus", "x", *argv[2:]], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2
    assert "--cpus: core numbers (0 or more) separated by commas, not 'x'" in out.stderr
    assert not marker.exists()


@needs_two_cores
def test_pinned_holds_for_threads_started_inside_and_is_undone_after():
    # GIVEN this thread's cores, and one of them
    before = os.sched_getaffinity(0)
    core = max(ALLOWED_CORES)
    seen: list[set[int]] = []
    # WHEN a thread is started while pinned to that core
    with pinned({core}):
        inside = os.sched_getaffinity(0)
        thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
        thread.start()
        thread.join()
    # THEN the thread ran there, and this thread has its own cores back
    assert (inside, seen) == ({core}, [{core}])
    assert os.sched_getaffinity(0) == before


def test_pinned_to_none_changes_nothing():
    before = os.sched_getaffinity(0) if ALLOWED_CORES else None
    with pinned(None):
        assert (os.sched_getaffinity(0) if ALLOWED_CORES else None) == before
