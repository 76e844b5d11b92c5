"""Fixtures for content tests: a copy of the data files to break on purpose."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from content.loader import DATA_DIR


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of content/data that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path: Path, change: Callable[[Any], None]) -> None:
    """Load a YAML file, let ``change`` alter it, write it back."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
