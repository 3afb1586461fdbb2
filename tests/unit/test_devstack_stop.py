"""The local stack's stop when the data cannot be saved: what it says, what it still stops.

No emulator: the emulator is a stand-in process, and the save never reaches AWS (it is
interrupted, or not tried because the emulator is gone).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devstack.emulator import Emulator
from devstack.persistence import LocalData
from devstack.snapshot import StackData
from devstack.stack import LocalStack

RESOURCES = StackData(
    {"FeedsTable": "feeds-local", "PostsTable": "posts-local"}, {"ArchiveBucket": "b"}
)
HELD = "the tables FeedsTable, PostsTable and the bucket ArchiveBucket"


class _InterruptedSave(LocalData):
    def take(self, quiet: bool = False) -> None:
        raise KeyboardInterrupt  # what a second Ctrl-C raises in the stack's main thread


class _NoSave(LocalData):
    def take(self, quiet: bool = False) -> None:
        raise AssertionError("a save was tried")


def _emulator(code: str) -> Emulator:
    return Emulator(port=0, process=subprocess.Popen([sys.executable, "-c", code]))


def _stack(data: LocalData, emulator: Emulator) -> LocalStack:
    stack = LocalStack(echo=False)
    stack.data, stack.emulator = data, emulator
    return stack


def _data(kind: type[LocalData], directory: Path, said: list[str]) -> LocalData:
    return kind(directory, "yubl-fanout-local", said.append, restored=True, resources=RESOURCES)


def test_a_ctrl_c_during_the_save_quits_without_it_saying_so_and_stops_the_emulator(tmp_path):
    # GIVEN a running emulator and no earlier snapshot
    said: list[str] = []
    emulator = _emulator("import time; time.sleep(60)")
    stack = _stack(_data(_InterruptedSave, tmp_path, said), emulator)
    # WHEN a second Ctrl-C arrives during the save
    with pytest.raises(KeyboardInterrupt):
        stack.stop()
    # THEN the stop says what is lost and that nothing comes back, and the emulator is stopped
    assert said == [
        f"local data NOT saved to {tmp_path / 'snapshot.jsonl'}: "
        "a second Ctrl-C quit without saving",
        f"lost: every change this run made to {HELD}",
        f"there is no earlier snapshot in {tmp_path}: the next make run is empty",
    ]
    assert emulator.process.poll() is not None and stack.emulator is None


def test_an_emulator_that_exited_is_named_and_no_save_is_tried(tmp_path):
    # GIVEN an emulator that exited on its own (its data with it)
    said: list[str] = []
    emulator = _emulator("raise SystemExit(3)")
    emulator.process.wait()
    stack = _stack(_data(_NoSave, tmp_path, said), emulator)
    # WHEN the stack looks at its parts, then stops
    assert stack.failed_part() == "the AWS emulator exited with code 3"
    # THEN the stop reports a failed save, naming the cause
    assert stack.stop() is False
    assert said[0] == (
        f"local data NOT saved to {tmp_path / 'snapshot.jsonl'}: the AWS emulator exited "
        "with code 3, its data with it"
    )


def test_a_file_that_is_no_snapshot_is_named_with_the_way_out(tmp_path):
    # GIVEN a file in the snapshot's place that is not one
    (tmp_path / "snapshot.jsonl").write_text("not json\n")
    said: list[str] = []
    # WHEN a stop cannot save
    _data(LocalData, tmp_path, said).report_lost("disk full")
    # THEN what is lost is said, and that the next start refuses that file
    assert said[1:] == [
        f"lost: every change this run made to {HELD}",
        f"{tmp_path / 'snapshot.jsonl'}: not a yubl-local-snapshot/1 file: the next make run "
        "refuses it (`make reset` starts empty)",
    ]


def test_a_stack_stopped_before_its_restore_has_nothing_to_report(tmp_path):
    said: list[str] = []
    data = LocalData(tmp_path, "yubl-fanout-local", said.append, resources=RESOURCES)
    data.report_lost("disk full")
    assert said == []
