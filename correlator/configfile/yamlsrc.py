"""YAML documents that remember where every value came from.

PyYAML's composer gives each node its start mark; we walk the node tree once to record the line
of every path, so that a pydantic error location or a cross-reference check can say
``file:line: path``. Duplicate mapping keys, which PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from correlator.configfile.errors import ConfigIssue, PathKey, display_name, format_path


@dataclass
class YamlSource:
    """One parsed YAML file: its data plus a path -> line map."""

    path: Path
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return display_name(self.path)

    def line_of(self, path: PathKey) -> int:
        """The line of ``path``, or of its nearest recorded ancestor."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)

    def issue(self, path: PathKey, message: str, fix: str = "") -> ConfigIssue:
        return ConfigIssue(self.name, self.line_of(path), format_path(path), message, fix)


def issue_in(src: YamlSource | None, file: Path, path: PathKey, message: str, fix: str) -> ConfigIssue:
    """An issue at ``path`` of ``src`` (with its line); line 0 of ``file`` when there is no parsed source."""
    if src is not None:
        return src.issue(path, message, fix)
    return ConfigIssue(str(file), 0, ".".join(map(str, path)), message, fix)


def _walk(node: yaml.Node, path: PathKey, src: YamlSource, issues: list[ConfigIssue]) -> None:
    src.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                issues.append(
                    ConfigIssue(
                        src.name,
                        line,
                        format_path((*path, key)),
                        f"duplicate key '{key}' (first on line {seen[key]})",
                        "keep one of them; YAML would silently drop the first",
                    )
                )
            seen[key] = line
            child = (*path, key)
            src.lines[child] = line
            _walk(value_node, child, src, issues)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*path, i), src, issues)


def load_yaml(path: Path) -> tuple[YamlSource | None, list[ConfigIssue]]:
    """Parse ``path``; on failure return the issues (syntax errors carry their line)."""
    name = display_name(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [ConfigIssue(name, 0, "(file)", "file not found", "check the path")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [ConfigIssue(name, 0, "(file)", f"cannot read: {exc}", "fix the file")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        what = exc.problem or str(exc)
        return None, [ConfigIssue(name, line, "(syntax)", f"YAML syntax error: {what}", "fix the YAML")]
    except yaml.YAMLError as exc:
        return None, [ConfigIssue(name, 0, "(syntax)", f"YAML error: {exc}", "fix the YAML")]
    src = YamlSource(path=path, data=data if data is not None else {})
    issues: list[ConfigIssue] = []
    if node is not None:
        _walk(node, (), src, issues)
    return src, issues
