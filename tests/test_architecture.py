"""The folder tree is the architecture: the domain is plain Python, entrypoints hold no SQL (STYLE §1–3)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import setia

PACKAGE = Path(setia.__file__).parent
DOMAIN = PACKAGE / "domain"
ENTRYPOINTS = PACKAGE / "entrypoints"
SQL_CALLS = {"select", "insert", "update", "delete", "text", "exec_driver_sql", "execute"}
# Entrypoint modules allowed to talk to the database directly, and why.
SQL_ALLOWED = {
    "api/bench.py": "benchmark-only route: a bare write on the same stack, the baseline a checkout is measured against",
}


def imported_modules(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, nested and TYPE_CHECKING ones included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                found.append((node.lineno, ".".join(base + ([node.module] if node.module else []))))
            else:
                found.append((node.lineno, node.module or ""))
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    return imported_modules(path.read_text(encoding="utf-8"), package)


def is_standard_library(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names or module == "__future__"


def test_the_domain_imports_only_the_standard_library_and_itself():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 5
    outside = [f"{path.relative_to(PACKAGE)}:{line} imports {module}"
               for path in files for line, module in imports_of(path)
               if not (is_standard_library(module) or module == "setia.domain" or module.startswith("setia.domain."))]
    assert outside == []


def test_the_import_check_sees_frameworks_relative_escapes_and_nested_imports():
    # The check above is only as good as its parser: prove it sees what it must refuse
    source = ("import sqlalchemy\nfrom fastapi import FastAPI\nfrom ..adapters.db import tables\n"
              "from . import errors\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import jinja2\n"
              "def later():\n    from setia.services import sales\n")
    modules = [module for _, module in imported_modules(source, "setia.domain")]
    assert modules == ["sqlalchemy", "fastapi", "setia.adapters.db", "setia.domain", "typing", "jinja2",
                       "setia.services"]
    assert [module for module in modules if not (is_standard_library(module) or module.startswith("setia.domain"))] \
        == ["sqlalchemy", "fastapi", "setia.adapters.db", "jinja2", "setia.services"]


def sql_in(path: Path) -> list[str]:
    """SQL an entrypoint module would run: SQLAlchemy statements, table imports, raw execution."""
    problems = [f"line {line}: imports {module}" for line, module in imports_of(path)
                if (module == "sqlalchemy" or module.startswith("sqlalchemy.")) and module != "sqlalchemy.exc"
                or module == "setia.adapters.db.tables"]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            attribute = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if name in SQL_CALLS - {"text"} or attribute in {"execute", "exec_driver_sql", "insert", "delete"}:
                problems.append(f"line {node.lineno}: calls {name or attribute}(")
    return problems


def test_entrypoints_hold_no_sql():
    files = sorted(ENTRYPOINTS.rglob("*.py"))
    assert ENTRYPOINTS / "api" / "app.py" in files and ENTRYPOINTS / "cli.py" in files
    found = {str(path.relative_to(ENTRYPOINTS)): sql_in(path) for path in files
             if str(path.relative_to(ENTRYPOINTS)) not in SQL_ALLOWED}
    assert {name: problems for name, problems in found.items() if problems} == {}
    app_source = (ENTRYPOINTS / "api" / "app.py").read_text(encoding="utf-8")
    assert "select(" not in app_source and "insert(" not in app_source


def test_the_allowed_exceptions_still_exist_and_still_need_the_exception():
    # An allowance outliving its reason would hide the next violation in that file.
    for name in SQL_ALLOWED:
        assert sql_in(ENTRYPOINTS / name), f"{name} no longer holds SQL: drop it from SQL_ALLOWED"
