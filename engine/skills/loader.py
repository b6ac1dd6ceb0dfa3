"""YAML documents that remember where every value came from (``file:line:column``).

The low-level loader of the supervisor's rule files: a YAML syntax error, a key written
twice in one mapping (both lines named) and every JSON Schema error become one
``file:line:column: reason`` each, raised together as ``SkillFileError``. Domain builders
import this module only; ``engine.skills.catalogue`` knows which file is whose.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from jsonschema import Draft202012Validator

Path_ = Sequence[str | int]
T = TypeVar("T")
SCHEMAS = Path(__file__).with_name("schemas")
MERGE_KEY = "<<"


class SkillFileError(ValueError):
    """A rule file is invalid; ``issues`` holds one ``file:line:column: reason`` each
    (a domain's own error class derives from it, so callers catch one kind)."""

    def __init__(self, issues: str | list[str]) -> None:
        self.issues = [issues] if isinstance(issues, str) else list(issues)
        super().__init__("\n".join(self.issues))


@dataclass
class Doc:
    path: str
    data: Any
    node: yaml.Node | None
    text: str = ""

    def mark(self, where: Path_ = (), key: bool = False) -> str:
        """``file:line:column`` of the value at ``where`` (of its key when ``key``);
        the nearest existing parent when the path does not exist."""
        node, key_node = self.node, None
        for part in where:
            if isinstance(node, yaml.SequenceNode) and isinstance(part, str) and part.isdigit():
                part = int(part)
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in node.value if _scalar(k) == str(part)), None)
                if found is None:
                    break
                key_node, node = found
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                key_node, node = None, node.value[part]
            else:
                break
        target = key_node if key and key_node is not None else node
        if target is None:
            return f"{self.path}:1:1"
        return _at(self.path, target)


def _at(path: str, node: yaml.Node) -> str:
    return f"{path}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _scalar(node: yaml.Node) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _jsonable(value: Any) -> Any:
    """Mapping keys as strings (YAML allows ``1001:``), so JSON Schema sees what we build."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def duplicate_keys(node: yaml.Node | None, path: str) -> list[str]:
    """A key written twice in one mapping, at any depth: YAML would keep the last one
    silently; here the second is refused and the first named."""
    out: list[str] = []
    seen_nodes: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:  # an alias points at a node already walked
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            first: dict[str, yaml.Node] = {}
            for key, value in current.value:
                name = _scalar(key)
                if name is not None and name != MERGE_KEY:
                    if name in first:
                        out.append(
                            f"{_at(path, key)}: duplicate key {name!r} (first at "
                            f"{_at(path, first[name]).rsplit(':', 1)[0]})"
                        )
                    else:
                        first[name] = key
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value
    return sorted(out, key=_line_col)


def _line_col(issue: str) -> tuple[int, int]:
    _, line, col = issue.split(": ", 1)[0].rsplit(":", 2)
    return int(line), int(col)


def parse(text: str, path: str) -> Doc:
    """The document of ``text``; raises ``SkillFileError`` for a YAML syntax error or a
    duplicate key (``file:line:column: reason``)."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        duplicates = duplicate_keys(node, path)
        if duplicates:
            raise SkillFileError(duplicates)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{path}:1:1"
        reason = "; ".join(p for p in (exc.context, exc.problem) if p)
        raise SkillFileError([f"{where}: YAML syntax: {reason}"]) from None
    except yaml.YAMLError as exc:
        raise SkillFileError([f"{path}:1:1: YAML: {exc}"]) from None
    finally:
        loader.dispose()
    return Doc(path, _jsonable(data), node, text)


def positioned(doc: Doc, message: str) -> str:
    """A domain builder's ``source: dotted.path: reason`` as ``file:line:column: reason``
    (the nearest existing node of the path; the document's start without one)."""
    rest = message.removeprefix(f"{doc.path}: ")
    where, sep, reason = rest.partition(": ")
    if sep and where and " " not in where:
        return f"{doc.mark(where.split('.'))}: {reason}"
    return f"{doc.mark()}: {rest}"


def read(path: str | Path) -> str:
    """The file's text as written (no newline translation: versions hash these bytes)."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as exc:
        raise SkillFileError([f"{path}:1:1: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise SkillFileError([f"{path}:1:1: not UTF-8: {exc.reason}"]) from None


def load(path: str | Path) -> Doc:
    return parse(read(path), str(path))


def validation_issues(doc: Doc, validator: Any) -> list[str]:
    """``file:line:column: reason`` for every JSON Schema error of ``doc`` (a jsonschema
    validator); unknown keys and bad names are pointed at the key itself."""
    out = []
    for err in sorted(
        validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]
    ):
        where = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(k for k in err.instance if k not in allowed):
                out.append(f"{doc.mark([*where, extra], key=True)}: unknown key {extra!r}")
            continue
        if err.validator == "propertyNames":
            out.append(
                f"{doc.mark([*where, err.instance], key=True)}: bad name "
                f"{err.instance!r} (lowercase letters, digits, - and _)"
            )
            continue
        out.append(f"{doc.mark(where)}: {err.message}")
    return out


@cache
def _schema_file(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")
    )
    return schema


def schema(name: str, entry: str | None = None) -> dict[str, Any]:
    """The JSON Schema ``engine/skills/schemas/<name>.schema.json``; ``entry`` picks one
    of its ``$defs`` (routing's four files share one schema file)."""
    found = _schema_file(name)
    return {**found, "$ref": f"#/$defs/{entry}"} if entry else found


def schema_issues(doc: Doc, schema: dict[str, Any]) -> list[str]:
    return validation_issues(doc, _validator(json.dumps(schema, sort_keys=True)))


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def check(doc: Doc, schema: dict[str, Any]) -> Doc:
    """``doc`` if it matches ``schema``; else ``SkillFileError`` with every problem."""
    issues = schema_issues(doc, schema)
    if issues:
        raise SkillFileError(issues)
    return doc


def parse_checked(text: str, path: str, schema: dict[str, Any], build: Callable[[Doc], T]) -> T:
    """Parse and check ``text``; ``build`` turns a valid document into the domain's types
    and may raise ``SkillFileError`` itself for rules a schema cannot express."""
    return build(check(parse(text, path), schema))


def load_checked(path: str | Path, schema: dict[str, Any], build: Callable[[Doc], T]) -> T:
    return parse_checked(read(path), str(path), schema, build)
