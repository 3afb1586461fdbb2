"""CPU seconds of the stack's processes over a window (``loadtests/cpu.py``)."""

from __future__ import annotations

import os
import subprocess
import sys

from loadtests.cpu import cpu_delta, cpu_seconds, sample


def test_the_delta_is_per_process_to_the_millisecond():
    # GIVEN two samples: 10.0 s then 12.25 s of the emulator, no change of the runtime
    before = {"emulator": 10.0, "runtime": 2.5, "api": 0.125}
    after = {"emulator": 12.25, "runtime": 2.5, "api": 0.5004}
    # THEN 2.25, 0.0 and 0.375 (0.3754 to the millisecond)
    assert cpu_delta(before, after) == {"emulator": 2.25, "runtime": 0.0, "api": 0.375}


def test_a_process_missing_from_either_sample_has_no_figure():
    before = {"emulator": 1.0, "runtime": None, "api": 3.0}
    after = {"emulator": None, "runtime": 2.0}
    assert cpu_delta(before, after) == {"emulator": None, "runtime": None, "api": None}


def test_a_process_that_has_ended_reads_as_absent():
    # GIVEN a child that has exited and been reaped
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    # THEN its pid has no CPU seconds, and a sample names it with None
    assert cpu_seconds(child.pid) is None
    assert sample({"gone": child.pid}) == {"gone": None}


def test_a_running_process_reads_its_own_user_and_system_seconds():
    # the kernel's account of this process: at least what os.times says it has used
    # so far (children's times are separate in both and not included)
    before = os.times()
    found = cpu_seconds(os.getpid())
    assert found is not None
    assert found >= before.user + before.system - 0.01
