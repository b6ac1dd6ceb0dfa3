"""`python -m engine users add|list|disable|enable` and `python -m engine tokens
add|list|revoke`: people who log in and machine clients' bearer tokens.

A password never goes on the command line (it would sit in the shell history and the
process list): ``users add`` asks for it at a terminal, or reads the first line of standard
input, or the ``TENURE_PASSWORD`` environment variable. ``tokens add`` prints the new token
once; only its digest is stored.
"""

from __future__ import annotations

import argparse
import getpass
import os
import secrets
import sys
import time
from typing import Any

from engine.errors import EngineError
from engine.schemas import database
from engine.store.database import Database
from engine.users import store
from engine.users.policy import LANGUAGES, ROLES, token_digest
from engine.users.service import user_row


def register(sub: Any) -> None:
    users = sub.add_parser("users", help="people who log in: add|list|disable|enable")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    p = users_sub.add_parser("add", help="add a user (password from a prompt, stdin or env)")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--agent-id", help="the agent ID an agent user works as")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="UI language")
    p.set_defaults(func=_users_add)
    p = users_sub.add_parser("list", help="every user (no password hashes)")
    p.set_defaults(func=_users_list)
    for action in ("disable", "enable"):
        p = users_sub.add_parser(action, help=f"{action} a user (disable ends their sessions)")
        p.add_argument("name")
        p.set_defaults(func=_users_switch, disabled=int(action == "disable"))
    tokens = sub.add_parser("tokens", help="machine clients' bearer tokens: add|list|revoke")
    tokens_sub = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    p = tokens_sub.add_parser("add", help="a new token for a client (printed once)")
    p.add_argument("name")
    p.set_defaults(func=_tokens_add)
    p = tokens_sub.add_parser("list", help="clients and whether their token is revoked")
    p.set_defaults(func=_tokens_list)
    p = tokens_sub.add_parser("revoke", help="revoke a client's token")
    p.add_argument("name")
    p.set_defaults(func=_tokens_revoke)


def _db(args: argparse.Namespace) -> Database:
    return database(args.settings()).open_sync()


def _run(args: argparse.Namespace, fn: Any, *params: Any) -> Any:
    """``fn(db, *params)`` in one transaction on a freshly opened database."""
    db = _db(args)
    try:
        return db.run_sync(fn, *params)
    finally:
        db.close_sync()


def read_password() -> str:
    env = os.environ.get("TENURE_PASSWORD")
    if env:
        return env
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("error: the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _users_add(args: argparse.Namespace) -> int:
    try:
        row = user_row(args.name, args.role, args.agent_id, args.lang, read_password(), time.time())
        _run(args, store.add_user, row)
    except EngineError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    agent = f" as agent {args.agent_id}" if args.agent_id else ""
    print(f"added {args.role} {args.name}{agent}")
    return 0


def _users_list(args: argparse.Namespace) -> int:
    rows = _run(args, store.list_users)
    for r in rows:
        state = "disabled" if r["disabled"] else "active"
        print(f"{r['name']}\t{r['role']}\t{r['agent_id'] or '-'}\t{r['lang']}\t{state}")
    return 0


def _users_switch(args: argparse.Namespace) -> int:
    found = _run(args, store.update_user, args.name, {"disabled": args.disabled})
    if not found:
        print(f"error: no user named {args.name!r}", file=sys.stderr)
        return 1
    print(f"{args.name} {'disabled' if args.disabled else 'enabled'}")
    return 0


def _tokens_add(args: argparse.Namespace) -> int:
    token = secrets.token_urlsafe(32)
    try:
        _run(args, store.add_token, args.name, token_digest(token), time.time())
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0


def _tokens_list(args: argparse.Namespace) -> int:
    rows = _run(args, store.list_tokens)
    print("settings\t(api_token setting, always valid)")
    for r in rows:
        print(f"{r['name']}\t{'revoked' if r['revoked_at'] else 'active'}")
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    done = _run(args, store.revoke_token, args.name, time.time())
    if not done:
        print(f"error: no live token named {args.name!r}", file=sys.stderr)
        return 1
    print(f"revoked {args.name}")
    return 0
