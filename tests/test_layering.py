"""The domain package must never depend on Qt or on the GUI package."""

import ast
from pathlib import Path

APP_DIR = Path(__file__).resolve().parents[1] / "app"
FORBIDDEN_ROOTS = {"PySide6", "ui", "shiboken6", "qtawesome"}


def _imported_roots(tree: ast.AST) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    roots.add(argument.value.split(".")[0])
    return roots


def test_app_never_imports_qt_or_ui() -> None:
    offenders = {}
    for module in APP_DIR.rglob("*.py"):
        found = _imported_roots(ast.parse(module.read_text(encoding="utf-8"))) & FORBIDDEN_ROOTS
        if found:
            offenders[str(module.relative_to(APP_DIR.parent))] = sorted(found)
    assert offenders == {}


def test_layering_check_catches_a_qt_import() -> None:
    tree = ast.parse("from PySide6.QtWidgets import QWidget\nimport ui.main_window\n")
    assert _imported_roots(tree) & FORBIDDEN_ROOTS == {"PySide6", "ui"}
