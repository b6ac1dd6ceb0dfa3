"""`python -m engine dialer campaigns|create|import|start|pause|resume|stop|status|dnc`.

``campaigns``, ``create`` and ``import`` work on the store (``database_url``, else the
SQLite file ``database_path``) directly, engine running or not. ``start``, ``pause``,
``resume``, ``stop``, ``status`` and ``dnc`` ask the running engine over its HTTP API
(``http_host``/``http_port``, bearer ``api_token`` from the same settings), since its
campaign runners do the dialling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from engine.errors import EngineError

HTTP_ACTIONS = ("start", "pause", "resume", "stop")


def register_commands(dsub: Any) -> None:
    p = dsub.add_parser("campaigns", help="list campaigns (from the database)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_campaigns)
    p = dsub.add_parser("create", help="create a campaign (in the database, status draft)")
    p.add_argument("name")
    p.add_argument("--kind", choices=("callback", "manual"), default="manual")
    p.add_argument("--mode", choices=("preview", "progressive", "predictive"), default="predictive")
    p.add_argument("--queue", help="routing queue of its agents (default: dialer_queue)")
    p.add_argument(
        "--policy",
        default=None,
        help='JSON, e.g. \'{"window": {"start": "10:00", "end": "19:00"}, '
        '"max_attempts": 4, "machine": "retry", "abandon_window": "UK"}\'',
    )
    p.set_defaults(func=_create)
    p = dsub.add_parser(
        "import",
        help="add contacts from CSV to a manual campaign "
        "(number,customer_id,timezone,priority,name)",
    )
    p.add_argument("campaign_id", type=int)
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_import)
    for action in HTTP_ACTIONS:
        p = dsub.add_parser(action, help=f"{action} a campaign (asks the running engine)")
        p.add_argument("campaign_id", type=int)
        p.set_defaults(func=_http, action=action)
    p = dsub.add_parser("status", help="a campaign's progress (asks the running engine)")
    p.add_argument("campaign_id", type=int)
    p.set_defaults(func=_http, action="status")
    p = dsub.add_parser("dnc", help="add numbers to the do-not-call list (running engine)")
    p.add_argument("numbers", nargs="+", metavar="NUMBER")
    p.add_argument("--reason", default="")
    p.set_defaults(func=_http, action="dnc")


def _db(args: argparse.Namespace) -> Any:
    from engine.schemas import database

    return database(args.settings()).open_sync()


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _campaigns(args: argparse.Namespace) -> int:
    from engine.dialer.campaigns import store

    db = _db(args)
    try:
        rows = db.run_sync(store.all_campaigns)
    finally:
        db.close_sync()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{'id':>4}  {'status':<8} {'kind':<8} {'mode':<11} {'queue':<10} name")
    for r in rows:
        print(
            f"{r['id']:>4}  {r['status']:<8} {r['kind']:<8} {r['mode']:<11} "
            f"{r['queue']:<10} {r['name']}"
        )
    return 0


def _create(args: argparse.Namespace) -> int:
    from engine.dialer.campaigns import store
    from engine.dialer.core.policy import CampaignPolicy, parse
    from engine.routing.config import RoutingConfigError, load_config

    settings = args.settings()
    queue = args.queue or settings.dialer_queue
    try:
        queues = load_config(settings.skills_path).queues
    except RoutingConfigError as exc:
        return _fail(f"routing config: {exc}")
    if queue not in queues:
        return _fail(f"queue {queue!r} is not a routing queue ({', '.join(sorted(queues))})")
    try:
        body = json.loads(args.policy) if args.policy else None
        policy = parse(
            body,
            CampaignPolicy(
                abandon_limit=settings.dialer_abandon_limit,
                abandon_window=settings.dialer_abandon_window,
            ),
        )
    except json.JSONDecodeError as exc:
        return _fail(f"--policy is not JSON: {exc}")
    except EngineError as exc:
        return _fail(exc.message)
    db = _db(args)
    try:
        row = db.run_sync(store.create, args.name, args.kind, args.mode, queue, policy, time.time())
    finally:
        db.close_sync()
    print(json.dumps(row, indent=1))
    return 0


def _import(args: argparse.Namespace) -> int:
    from engine.dialer.campaigns import store

    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(f"{args.file}: {exc}")
    db = _db(args)
    try:
        result = db.run_sync(store.import_csv, args.campaign_id, text, time.time())
    except EngineError as exc:
        return _fail(exc.message)
    finally:
        db.close_sync()
    for err in result["errors"]:
        print(f"{args.file}:{err['line']}: {err['reason']}", file=sys.stderr)
    print(f"added {result['added']} contact(s), skipped {result['skipped']} line(s)")
    return 0


def _http(args: argparse.Namespace) -> int:
    settings = args.settings()
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    base = f"http://{host}:{settings.http_port}"
    if args.action == "dnc":
        method, path = "POST", "/dialer/dnc"
        body: Any = {"numbers": args.numbers, "reason": args.reason}
    elif args.action == "status":
        method, path, body = "GET", f"/dialer/campaigns/{args.campaign_id}", None
    else:
        method, path, body = "POST", f"/dialer/campaigns/{args.campaign_id}/{args.action}", None
    try:
        status, data = asyncio.run(_request(method, base + path, settings.api_token, body))
    except OSError as exc:
        return _fail(
            f"cannot reach the engine at {base} ({exc}); is `python -m engine run` "
            f"running with these settings?"
        )
    print(json.dumps(data, indent=1))
    return 0 if status < 300 else 1


async def _request(method: str, url: str, token: str, body: Any) -> tuple[int, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.request(method, url, json=body) as resp,
    ):
        return resp.status, await resp.json(content_type=None)
