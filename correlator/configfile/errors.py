"""Configuration errors that name the file, the line, the path inside the file, and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PathKey = tuple[str | int, ...]


def format_path(path: PathKey) -> str:
    """``('circuits', 3, 'working', 'hops', 2)`` -> ``circuits[3].working.hops[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One thing wrong with one place in one file."""

    file: str
    line: int
    path: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" ({self.fix})" if self.fix else ""
        return f"{self.file}:{self.line}: {self.path}: {self.message}{fix}"


class ConfigError(Exception):
    """Raised with every issue found, never just the first."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(set(issues))
        super().__init__("\n".join(str(i) for i in self.issues))


def display_name(path: Path) -> str:
    """Paths relative to the working directory where possible, as an editor would show them."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
