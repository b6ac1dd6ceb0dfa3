"""`python -m engine skills check [PATH...]`: every supervisor rule file of ``skills/``;
`python -m engine skills schema FILE`: the JSON Schema of one of them (for editors).

Needs no settings. ``check`` prints one ``file:line:column: reason`` per problem and exits
1 when there is any, 0 (``ok: N file(s) valid`` on stderr) when there is none. A PATH may
be a file or a folder (its catalogue files); without one, the ``skills`` folder.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_FOLDER = "skills"


def register(sub: Any) -> None:
    skills = sub.add_parser("skills", help="check the supervisor-edited YAML rule files")
    skills_sub = skills.add_subparsers(dest="skills_command", required=True, metavar="ACTION")
    check = skills_sub.add_parser("check", help="report every error as file:line:column: reason")
    check.add_argument(
        "files", nargs="*", metavar="PATH", help=f"files or folders (default: {DEFAULT_FOLDER}/)"
    )
    check.set_defaults(func=_check)
    schema = skills_sub.add_parser("schema", help="print the JSON Schema of one rule file")
    schema.add_argument("file", metavar="FILE", help="e.g. offers.yaml")
    schema.set_defaults(func=_schema)


def _check(args: argparse.Namespace) -> int:
    from engine.skills.catalogue import check_files, expand

    paths = expand(args.files or [DEFAULT_FOLDER])
    issues = check_files(paths)
    for issue in issues:
        print(issue)
    if issues:
        print(f"{len(issues)} error(s)", file=sys.stderr)
        return 1
    print(f"ok: {len(paths)} file(s) valid", file=sys.stderr)
    return 0


def _schema(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from engine.skills.catalogue import FILES

    name = Path(args.file).name
    if name not in FILES:
        print(f"unknown rule file {name!r} (one of {', '.join(FILES)})", file=sys.stderr)
        return 2
    _, file = FILES[name]
    print(json.dumps(file.schema, indent=2, ensure_ascii=False))
    return 0
