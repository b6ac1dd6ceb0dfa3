"""`python -m engine sandbox build|up|down|status|logs`: the sandbox Asterisk."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    box = sub.add_parser("sandbox", help="run a real Asterisk in a chroot (no Docker needed)")
    actions = box.add_subparsers(dest="action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="build (or reuse) the Debian sid root filesystem")
    build.add_argument("--force", action="store_true", help="rebuild even if cached")
    actions.add_parser("up", help="install the config and start Asterisk (idempotent)")
    actions.add_parser("down", help="stop Asterisk and unmount")
    actions.add_parser("status", help="rootfs, process, ARI and AMI state (JSON)")
    logs = actions.add_parser("logs", help="the tail of Asterisk's log")
    logs.add_argument("-n", type=int, default=40, help="lines of each log (default 40)")
    box.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from engine.sandbox.asterisk import Sandbox
    from engine.sandbox.config import ConfigError
    from engine.sandbox.rootfs import SandboxError

    box = Sandbox(args.settings())
    try:
        if args.action == "build":  # needs no credentials: only the folder and mirror
            built = box.build(args.force)
            print("root filesystem built" if built else "root filesystem is current (cached)")
        elif args.action == "up":
            print(
                f"sandbox Asterisk: {box.up()} (ARI {box.settings.ari_url}, "
                f"AMI {box.settings.ami_host}:{box.settings.ami_port}, "
                f"SIP udp/{box.settings.sip_port})"
            )
        elif args.action == "down":
            print(f"sandbox Asterisk: {box.down()}")
        elif args.action == "status":
            print(json.dumps(box.status(), indent=2))
        else:
            print(box.log_tail(args.n))
    except (SandboxError, ConfigError) as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    return 0
