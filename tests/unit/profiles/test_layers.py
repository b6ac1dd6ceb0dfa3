"""The subpackages of ``engine/profiles`` import one way only (docs/profiles.md, Layout):
the shared modules at the top import no subpackage, ``ingest``, ``risk`` and ``care``
import only the shared modules, ``retention`` also ``care``. Synthetic customers
(``engine/sim/customers``) import nothing of ``engine.profiles``. Module-level imports
are checked; an import inside a function is not a dependency at import time."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "engine" / "profiles"
SUBPACKAGES = {p.name for p in PROFILES.iterdir() if (p / "__init__.py").exists()}
ALLOWED = {
    "shared": set(),
    "ingest": {"shared"},
    "risk": {"shared"},
    "care": {"shared"},
    "retention": {"shared", "care"},
}


def _imported(path: Path) -> set[str]:
    """Modules named by the module-level imports of one file (``from a import b`` gives
    ``a.b`` too, since ``b`` may be a module)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def _part(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] != ["engine", "profiles"] or len(parts) < 3:
        return None
    return parts[2] if parts[2] in SUBPACKAGES else "shared"


def test_every_subpackage_has_its_place():
    assert set(ALLOWED) == SUBPACKAGES | {"shared"}


def test_profiles_subpackages_import_one_way():
    wrong = []
    for path in PROFILES.rglob("*.py"):
        rel = path.relative_to(PROFILES).parts
        own = rel[0] if len(rel) > 1 else "shared"
        for module in _imported(path):
            part = _part(module)
            if part is not None and part != own and part not in ALLOWED[own]:
                wrong.append(f"{'/'.join(rel)} imports {module}")
    assert wrong == []


def test_synthetic_customers_do_not_import_profiles():
    for path in (ROOT / "engine" / "sim" / "customers").glob("*.py"):
        assert not [m for m in _imported(path) if m.startswith("engine.profiles")], path
