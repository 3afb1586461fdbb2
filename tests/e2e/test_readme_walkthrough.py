"""The README's walkthrough, run as written against the local stack (``make run``'s).

Every ```console block that follows a ``<!-- walkthrough -->`` line is run, command by
command, in one bash session (so variables carry from block to block), from the
project's folder, with the stack's ports in place of 8000 and 4566. Each command's output
must be the answer the README shows, once the values that differ on every run (yubl ids,
times, short codes) are put aside. So the walkthrough cannot go stale.

The fan-out is asynchronous, and the README says so: a read shown before the first
delete is read again until it shows its answer. A read after a delete must answer at
once, as the README promises (read-your-delete).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.stack import PROJECT_DIR

pytestmark = pytest.mark.e2e

README = PROJECT_DIR / "README.md"
MARKER = "<!-- walkthrough -->"
DONE = "__walkthrough_command_done__"
# what differs on every run, put aside on both sides before comparing
VARYING = (
    (re.compile(r"\d{13}-[0-9a-f]{12}"), "<yubl_id>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<time>"),
    (re.compile(r'"code":"[^"]*"'), '"code":"<code>"'),
)


@dataclass(frozen=True)
class Step:
    command: str
    expected: str
    retried: bool  # a read before the first delete: the fan-out may not have finished


def _blocks(lines: list[str]) -> list[list[str]]:
    """The lines of every console block that follows the marker."""
    blocks = []
    for i, line in enumerate(lines):
        if line.strip() == MARKER:
            assert lines[i + 1].startswith("```console"), f"README line {i + 2}: no console block"
            end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
            blocks.append(lines[i + 2 : end])
    return blocks


def walkthrough(text: str) -> list[Step]:
    """The commands of the marked console blocks, with the output shown after each."""
    pairs: list[tuple[list[str], list[str]]] = []
    for block in _blocks(text.splitlines()):
        for line in block:
            if line.startswith("$ "):
                pairs.append(([line[2:]], []))
            elif pairs and pairs[-1][0][-1].endswith("\\") and not pairs[-1][1]:
                pairs[-1][0].append(line)
            else:
                pairs[-1][1].append(line)
    steps, seen_delete = [], False
    for command_lines, output in pairs:
        command = "\n".join(command_lines)
        seen_delete = seen_delete or "-X DELETE" in command
        read = command.startswith("curl ") and " -X " not in command
        steps.append(Step(command, "\n".join(output), read and not seen_delete))
    return steps


def normalised(text: str) -> str:
    for pattern, placeholder in VARYING:
        text = pattern.sub(placeholder, text)
    return text.strip()


class Shell:
    """One bash session: a command in, its output (stdout and stderr) out."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, command: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{command}\nprintf '\\n{DONE}\\n'\n")
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.rstrip("\n") == DONE:
                return "".join(lines)
            lines.append(line)
        raise AssertionError(f"the shell ended during: {command}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def test_the_walkthrough_has_every_step_of_the_quick_start():
    commands = "\n".join(step.command for step in walkthrough(README.read_text()))
    for needed in ("make -s user", "followers/bob", "POST $API/yubls", "/feed", "-X DELETE"):
        assert needed in commands
    assert "make -s api-key" in commands and "$API/config/" in commands
    assert "POST $API/ " in commands and "$API/links/" in commands


def test_the_readme_stays_a_quick_start_with_no_link_a_clone_lacks():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    assert "../shared" not in text and "/work/" not in text


def test_the_walkthrough_answers_as_the_readme_shows(stack_process, tmp_path: Path):
    steps = walkthrough(README.read_text())
    env = {**os.environ, "LOCAL_AWS_PORT": str(stack_process.aws_port), "HOME": str(tmp_path)}
    shell = Shell(env)
    try:
        for step in steps:
            command = step.command.replace("127.0.0.1:8000", f"127.0.0.1:{stack_process.api_port}")
            deadline = time.monotonic() + (90 if step.retried else 0)
            while True:
                answer = shell.run(command)
                if normalised(answer) == normalised(step.expected):
                    break
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"README command:\n$ {step.command}\nanswered:\n{answer}\n"
                        f"the README shows:\n{step.expected}"
                    )
                time.sleep(0.5)
    finally:
        shell.close()
