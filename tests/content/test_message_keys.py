"""Every message key the code names exists, in every language (the loader requires both).

Read from the source, not from a run: a key used only on a rare path (an error, a role's
screen) is checked as surely as the menu's. Keys built with an f-string are checked by
their fixed beginning: some key must start with it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from content.loader import Content

ROOT = Path(__file__).resolve().parents[2]
# Calls whose first argument is a message key: ctx.t, ctx.reply, ctx.button, content.text.
KEY_CALLS = {"t", "reply", "button", "text"}


def _keys_in(path: Path) -> list[tuple[int, str, bool]]:
    """(line, key or key prefix, is_prefix) for every key-taking call in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in KEY_CALLS or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            if "." in first.value and " " not in first.value:
                found.append((node.lineno, first.value, False))
        elif isinstance(first, ast.JoinedStr) and first.values:
            head = first.values[0]
            if isinstance(head, ast.Constant) and "." in str(head.value):
                found.append((node.lineno, str(head.value), True))
    return found


def _sources() -> list[Path]:
    return sorted(p for d in ("handlers", "bot") for p in (ROOT / d).rglob("*.py"))


def test_the_scan_finds_the_keys_it_should() -> None:
    """Guard against a scan that silently finds nothing (a refactor renaming ``ctx.t``)."""
    keys = {key for path in _sources() for _, key, _ in _keys_in(path)}
    assert len(keys) > 300
    assert {"menu.title", "error.stale_button", "report.ask_danger"} <= keys


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_key_used_in_code_exists(content: Content, path: Path) -> None:
    missing = []
    for line, key, is_prefix in _keys_in(path):
        known = (
            any(k.startswith(key) for k in content.messages)
            if is_prefix
            else key in content.messages
        )
        if not known:
            missing.append(f"{path.name}:{line} {key}{'…' if is_prefix else ''}")
    assert not missing, missing
