"""YAML documents that remember where every value came from (``file:line:column``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Path_ = Sequence[str | int]


@dataclass
class Doc:
    path: str
    data: Any
    node: yaml.Node | None

    def mark(self, where: Path_ = (), key: bool = False) -> str:
        """``file:line:column`` of the value at ``where`` (of its key when ``key``);
        the nearest existing parent when the path does not exist."""
        node, key_node = self.node, None
        for part in where:
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in node.value if _scalar(k) == str(part)), None)
                if found is None:
                    break
                key_node, node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                    and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                break
        target = key_node if key and key_node is not None else node
        if target is None:
            return f"{self.path}:1:1"
        return f"{self.path}:{target.start_mark.line + 1}:{target.start_mark.column + 1}"


def _scalar(node: yaml.Node) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _jsonable(value: Any) -> Any:
    """Mapping keys as strings (YAML allows ``1001:``), so JSON Schema sees what we build."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def parse(text: str, path: str) -> tuple[Doc | None, str | None]:
    """The document, or None and a ``file:line:column: reason`` for a YAML syntax error."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else f"{path}:1:1"
        return None, f"{where}: YAML syntax: {exc.problem or exc.context}"
    except yaml.YAMLError as exc:
        return None, f"{path}:1:1: YAML: {exc}"
    finally:
        loader.dispose()
    return Doc(path, _jsonable(data), node), None


def load(path: str | Path) -> tuple[Doc | None, str | None]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return None, f"{path}:1:1: cannot read: {exc.strerror or exc}"
    return parse(text, str(path))


def validation_issues(doc: Doc, validator: Any) -> list[str]:
    """``file:line:column: reason`` for every JSON Schema error of ``doc`` (a jsonschema
    validator); unknown keys and bad names are pointed at the key itself."""
    out = []
    for err in sorted(validator.iter_errors(doc.data),
                      key=lambda e: [str(p) for p in e.absolute_path]):
        where = list(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            for extra in sorted(k for k in err.instance if k not in allowed):
                out.append(f"{doc.mark([*where, extra], key=True)}: unknown key {extra!r}")
            continue
        if err.validator == "propertyNames":
            out.append(f"{doc.mark([*where, err.instance], key=True)}: bad name "
                       f"{err.instance!r} (lowercase letters, digits, - and _)")
            continue
        out.append(f"{doc.mark(where)}: {err.message}")
    return out
