"""The benchmark's reading of the workers' log: a run ends when every follower of every
post is accounted for, not when the last entry is written."""

from __future__ import annotations

import json
from pathlib import Path

from loadtests.feedlog import FeedLog


def _line(message: str, yubl: str, **fields: object) -> str:
    return json.dumps(
        {"message": message, "timestamp": "2026-12-06T12:00:00.000Z", "yubl_id": yubl, **fields}
    )


def test_a_group_of_inactive_followers_is_accounted_for_though_it_writes_nothing(tmp_path: Path):
    # GIVEN a post to five followers, one of them muting its author
    log_file = tmp_path / "stack.log"
    log_file.write_text("")
    log = FeedLog(log_file, posted_at={"y1": 0.0}, followers_of={"y1": 5})
    lines = [
        _line("yubl routed to group feed", "y1", group="feed", muted=1),
        _line("feed entries written", "y1", followers=["a", "b"], skipped_inactive=0, muted=0),
    ]
    log_file.write_text("\n".join(lines) + "\n")
    # WHEN the written entries are read: two of five, the muter left out
    assert log.read() == 2
    # THEN the run is not over: two inactive followers' group is still in flight
    assert not log.all_accounted()
    # WHEN that group's line comes: nothing written, both skipped
    with log_file.open("a") as f:
        f.write(_line("feed entries written", "y1", followers=[], skipped_inactive=2) + "\n")
    assert log.read() == 2
    assert log.all_accounted()
    assert log.accounted == {"y1": 5}


def _archive_line(message: str, event_id: str) -> str:
    return json.dumps(
        {"message": message, "timestamp": "2026-12-06T12:00:00.000Z", "event_id": event_id}
    )


def test_the_run_is_archived_once_every_post_is_archived_or_refused(tmp_path: Path):
    # GIVEN two posts whose entries are all written, the archive worker not done yet
    log_file = tmp_path / "stack.log"
    log_file.write_text("")
    log = FeedLog(log_file, posted_at={"y1": 0.0, "y2": 0.0}, followers_of={"y1": 1, "y2": 0})
    lines = [
        _line("feed entries written", "y1", followers=["a"], skipped_inactive=0, muted=0),
        _archive_line("event archived", "yubl-posted:y1"),
        _archive_line("event archived", "yubl-posted:other-run"),
    ]
    log_file.write_text("\n".join(lines) + "\n")
    assert log.read() == 1
    assert log.all_accounted()
    # THEN the archive still owes y2: its calls would fall after a window closed now
    assert not log.all_archived()
    # WHEN y2's author turns out deleted: the worker is done with it too
    with log_file.open("a") as f:
        refused = "event not archived: its author deleted their account"
        f.write(_archive_line(refused, "yubl-posted:y2") + "\n")
    log.read()
    assert log.all_archived()
    assert log.archived == {"y1", "y2", "other-run"}
