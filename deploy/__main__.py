"""``python -m deploy package|deploy|destroy --stage s``, run by the make targets."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.stack_status import StackOperationFailed
from local_runtime.config import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    parser.add_argument("command", choices=["package", "deploy", "destroy"])
    parser.add_argument("--stage", required=True)
    parser.add_argument(
        "--project-dir", type=Path, default=PROJECT_DIR, help="the Chalice project (this one)"
    )
    parser.add_argument("--out", type=Path, help="package: output folder (build/<stage>)")
    parser.add_argument(
        "--confirm", action="store_true", help="destroy: also delete the data tables and queues"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="deploy: a parameter of infra/resources.yaml (repeatable)",
    )
    parser.add_argument(
        "--log-retention-days",
        type=int,
        default=30,
        help="deploy: days every function's log group keeps its logs (default 30)",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "package":
            from deploy.package import package_stage

            out = package_stage(
                args.project_dir, args.stage, args.out or args.project_dir / "build" / args.stage
            )
            print(f"packaged {args.stage}: {out}/sam.json (+ resources.yaml)")
        elif args.command == "deploy":
            from deploy.stage import deploy_stage

            parameters = dict(item.split("=", 1) for item in args.parameter)
            deploy_stage(
                args.project_dir,
                args.stage,
                parameters,
                log_retention_days=args.log_retention_days,
            )
        else:
            from deploy.stage import destroy_stage

            destroy_stage(args.project_dir, args.stage, confirm=args.confirm)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except StackOperationFailed as err:  # a stack that rolled back: its cause, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
