"""`python -m engine ...`: one entry point; every domain registers its own subcommands.

A domain adds commands by exposing ``register(subparsers)`` in ``engine/<domain>/cli.py``
and listing that module in ``COMMAND_MODULES``. A command function receives the parsed
arguments and returns an exit code; it loads settings with ``args.settings()`` when it
needs them, so commands that need none (``skills check``) work without any config.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

from engine import settings as settings_mod
from engine.logs import configure_logging

COMMAND_MODULES = [
    "engine.app_cli",
    "engine.sandbox.cli",
    "engine.demo",
    "engine.routing.cli",
    "engine.skills.cli",
    "engine.dialer.cli",
    "engine.speech.cli",
    "engine.profiles.retention.cli",
    "engine.profiles.risk.cli",
    "engine.profiles.ingest.cli",
    "engine.users.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="TOML config file (default: $ENGINE_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    cache: dict[str, settings_mod.Settings] = {}

    def load_settings() -> settings_mod.Settings:
        if "s" not in cache:
            cache["s"] = settings_mod.load(args.config)
            configure_logging(cache["s"].log_level, cache["s"].log_format)
        return cache["s"]

    args.settings = load_settings
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return int(func(args) or 0)
    except settings_mod.SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
