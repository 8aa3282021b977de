"""Shared fixtures: project paths and a copy of the mini test network to break."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
SLA = ROOT / "config" / "sla.yaml"
LAB = ROOT / "config" / "lab" / "linewatch.yaml"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/data/mini; returns the path of its linewatch.yaml."""
    dst = tmp_path / "mini"
    shutil.copytree(MINI, dst)
    cfg = dst / "linewatch.yaml"
    cfg.write_text(cfg.read_text().replace("../../../config/sla.yaml", str(SLA)))
    return cfg


Edit = Callable[[str, str, str], int]


@pytest.fixture
def edit(mini: Path) -> Edit:
    """edit(file, old, new) replaces one occurrence in the mini copy; returns new's line number."""

    def _edit(name: str, old: str, new: str) -> int:
        path = mini.parent / name
        text = path.read_text()
        assert text.count(old) >= 1, f"{old!r} not in {name}"
        pos = text.index(old)
        path.write_text(text[:pos] + new + text[pos + len(old) :])
        return text[:pos].count("\n") + 1

    return _edit
