"""``make load``: Locust headless against TARGET, or against a fresh local stack on free
ports when TARGET is empty; CSV and HTML reports in ``loadtests/results/load-<time>/``.

USERS simulated users, each at RATE/USERS requests per second (constant throughput),
for DURATION (Locust's form: ``60s``, ``5m``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from devstack.cores import plan
from devstack.emulator import free_port
from devstack.stack import LocalStack

__all__ = ["main"]

LOADTESTS_DIR = Path(__file__).resolve().parent


def _locust(target: str, users: int, rate: float, duration: str, out: Path) -> int:
    env = {**os.environ, "LOAD_RATE_PER_USER": str(rate / users)}
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOADTESTS_DIR / "locustfile.py"),
        "--headless",
        "--host",
        target,
        "--users",
        str(users),
        "--spawn-rate",
        str(max(1, users)),
        "--run-time",
        duration,
        "--csv",
        str(out / "locust"),
        "--html",
        str(out / "locust.html"),
        "--only-summary",
    ]
    print(f"[load] {users} users, {rate:g} requests/s in all, for {duration}, against {target}")
    return subprocess.call(argv, env=env)


def main() -> int:
    target = os.environ.get("TARGET", "").strip()
    users = int(os.environ.get("USERS") or 10)
    rate = float(os.environ.get("RATE") or 20)
    duration = os.environ.get("DURATION") or "60s"
    if users < 1 or rate <= 0:
        print("USERS must be at least 1 and RATE above 0", file=sys.stderr)
        return 2
    out = LOADTESTS_DIR / "results" / f"load-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    out.mkdir(parents=True, exist_ok=True)
    if target:
        code = _locust(target, users, rate, duration, out)
    else:
        cores = plan()
        stack = LocalStack(
            aws_port=free_port(),
            api_port=free_port(),
            echo=False,
            log_dir=out / "logs",
            cores=cores,
        )
        print(f"[load] no TARGET: starting a fresh local stack (logs in {stack.log_dir})")
        if cores is not None:
            # Locust stays where the scheduler puts it: on the callers' cores with the API
            # and the runtime it got 55-57 requests/s against 71-72 unpinned (RATE=100)
            print(f"[load] cores: {cores.describe()}")
        stack.start()
        try:
            code = _locust(stack.api_url, users, rate, duration, out)
        finally:
            stack.stop()
    print(f"[load] reports: {out}/locust_stats.csv, {out}/locust.html")
    return code


if __name__ == "__main__":
    sys.exit(main())
