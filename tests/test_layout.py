"""core/ holds what every app stands on and imports no domain app (issue 10, item 12)."""

import ast
from pathlib import Path

import campuscard

PACKAGE = Path(campuscard.__file__).resolve().parent
CORE = PACKAGE / "core"


def imported_modules(tree, module_name):
    """Every absolute module name the tree imports, wherever the import sits; relative imports
    resolved, and `from package import name` read as package.name."""
    package = module_name.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0]
                base = f"{parent}.{base}" if base else parent
            yield from (f"{base}.{alias.name}" for alias in node.names)


def domain_imports(source, module_name):
    """The campuscard.<x> modules (x other than core) the source imports."""
    found = []
    for name in imported_modules(ast.parse(source), module_name):
        parts = name.split(".")
        if parts[0] == "campuscard" and len(parts) > 1 and parts[1] != "core":
            found.append(".".join(parts[:2]))
    return sorted(set(found))


def core_modules():
    return sorted(p for p in CORE.rglob("*.py") if "migrations" not in p.parts)


def test_core_imports_no_domain_app():
    offenders = {}
    for path in core_modules():
        name = path.relative_to(PACKAGE.parent).as_posix()
        module_name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        found = domain_imports(path.read_text(encoding="utf-8"), module_name)
        if found:
            offenders[name] = found
    assert not offenders, f"core/ must not import domain apps: {offenders}"


def test_the_check_sees_every_kind_of_import():
    """Imports inside functions, relative ones and `from campuscard import x` count too."""
    source = ("import os\nimport campuscard.core.audit\nfrom campuscard.core import outbox\n"
              "from campuscard import esc\n\n"
              "def late():\n    from campuscard.cards.services import request_card\n"
              "    from ..people import models\n    from . import tokens\n"
              "    import campuscard.router.keys\n")
    assert domain_imports(source, "campuscard.core.probe") == [
        "campuscard.cards", "campuscard.esc", "campuscard.people", "campuscard.router"]
    assert domain_imports("from campuscard.core import audit\n", "campuscard.core.x") == []
