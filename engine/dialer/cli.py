"""`python -m engine dialer ...`: the simulator's command (``simulator/cli.py``) and the
campaign commands (``campaigns/cli.py``) under one ``dialer`` parser."""

from __future__ import annotations

import argparse

from engine.dialer.campaigns import cli as campaigns_cli
from engine.dialer.simulator import cli as simulator_cli


def register(sub: argparse._SubParsersAction) -> None:
    dialer = sub.add_parser("dialer", help="outbound dialer tools")
    dsub = dialer.add_subparsers(dest="dialer_command", required=True, metavar="COMMAND")
    simulator_cli.register_commands(dsub)
    campaigns_cli.register_commands(dsub)
