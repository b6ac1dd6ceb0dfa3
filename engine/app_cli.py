"""`python -m engine run`: the engine itself; `config`: the settings it would use."""

from __future__ import annotations

import argparse
import asyncio
import sys

from engine.routing.recovery import InstanceInUse
from engine.settings import describe


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run the engine (ARI, AMI, routing, HTTP API)")
    run.set_defaults(func=_run)
    cfg = sub.add_parser("config", help="print the effective settings (secrets hidden)")
    cfg.add_argument("--describe", action="store_true", help="list every setting with help")
    cfg.set_defaults(func=_config)


def _run(args: argparse.Namespace) -> int:
    from engine.app import Engine

    engine = Engine(args.settings())
    try:
        import uvloop  # libuv's event loop: less CPU per ARI request and Redis round trip

        loop_factory = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        try:
            runner.run(engine.run_forever())
        except InstanceInUse as exc:  # one clear line, no traceback
            runner.run(engine.stop())
            print(f"error: {exc}", file=sys.stderr)
            return 2
    return 0


def _config(args: argparse.Namespace) -> int:
    if args.describe:
        for name, default, help_text in describe():
            print(f"{name} = {default!r}\n    {help_text}")
        return 0
    for key, value in args.settings().redacted().items():
        print(f"{key} = {value!r}")
    return 0
