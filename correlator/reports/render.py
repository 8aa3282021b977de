"""Rendering reports: Jinja2 templates (data files in ``templates/``) to Markdown or HTML, and HTML to
PDF with WeasyPrint when it is installed (``pip install 'linewatch[pdf]'``).

Times are shown in the operator's time zone (the daemon config's ``timezone``), durations in hours
and minutes, percentages to four decimals.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from correlator.availability.period import tz_name

TEMPLATES = Path(__file__).resolve().parent / "templates"
FORMATS = ("md", "html", "pdf", "json")


class RenderError(RuntimeError):
    """A format that cannot be produced here (PDF without WeasyPrint); the text says how to get it."""


def _when(tz: tzinfo) -> Any:
    def fmt(t: datetime | None, seconds: bool = False) -> str:
        if t is None:
            return "-"
        return t.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")

    return fmt


def duration(minutes: float | None) -> str:
    """``125.5`` -> ``2 h 05 min 30 s``; short forms below an hour."""
    if minutes is None:
        return "-"
    secs = round(minutes * 60)
    if secs == 0:
        return "0"
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    parts = []
    if h:
        parts.append(f"{h} h")
    if h or m:
        parts.append(f"{m:02d} min" if h else f"{m} min")
    if s or not parts:
        parts.append(f"{s} s")
    return " ".join(parts)


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}%"


def md(value: Any) -> str:
    """A Markdown table cell: pipes escaped, one line."""
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def environment(tz: tzinfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = _when(tz)
    env.filters["duration"] = duration
    env.filters["pct"] = pct
    env.filters["md"] = md
    env.globals["tz_name"] = tz_name(tz)
    return env


def render(template: str, fmt: str, tz: tzinfo, **context: Any) -> str:
    """``template`` (``incident`` or ``customer``) as ``md`` or ``html``."""
    if fmt not in ("md", "html"):
        raise ValueError(f"format {fmt}: use md or html (pdf: render_pdf)")
    return environment(tz).get_template(f"{template}.{fmt}.j2").render(**context)


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def render_pdf(template: str, tz: tzinfo, **context: Any) -> bytes:
    html = render(template, "html", tz, **context)
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise RenderError(
            f"PDF needs WeasyPrint and its system libraries ({exc}): pip install 'linewatch[pdf]'"
            " and apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk; or use --format html"
        ) from None
    out: bytes = weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return out
