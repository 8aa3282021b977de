"""Raw command output -> records, or a clear refusal.

An output is *complete* only when it was understood line by line: every template here ends in a
``^. -> Error`` catch-all, so an unknown line format, an error message (``Error: Unrecognized
command``, ``%Error 140303: Invalid input``), a paging prompt left in the text or a line cut in
half refuses the whole output. The refusal names the first offending line; the records read
before it are still returned (``partial``) so that what the element did show can be raised,
while nothing is cleared on the strength of an output that was not understood.

Further checks, all data in the platform file: ``error_patterns`` (a line that says the element
refused the command), ``required`` fields (a record without them was cut off), a ``count`` line
(``Total ldp vc : 12``) that must agree with the records read, and ``allow_empty``.

Templates are TextFSM files: the own ones in ``agent/cli/templates/`` (or next to the platform
file), or ``ntc:<file>`` from the installed ntc-templates package.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import ntc_templates
import textfsm

from agent.cli.tl1 import Tl1Error, parse_tl1

OWN_TEMPLATES = Path(__file__).resolve().parent / "templates"
NTC_TEMPLATES = Path(ntc_templates.__file__).resolve().parent / "templates"
NTC_PREFIX = "ntc:"

Record = dict[str, str]
"""One parsed record: field -> text ('' when the template captured nothing). Lists are joined."""

TL1_FIELDS = (
    "AID",
    "AIDTYPE",
    "NTFCNCDE",
    "CONDTYPE",
    "SRVEFF",
    "OCRDAT",
    "OCRTM",
    "LOCN",
    "DIRN",
    "TMPER",
    "CONDDESCR",
    "AIDDET",
)
"""The fields of a TL1 alarm/condition record (:meth:`agent.cli.tl1.Tl1Record.alarm_fields`)."""

_TEXTFSM_LINE = re.compile(r"Input Line:\s?(.*)$", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TemplateError(ValueError):
    """A template that cannot be found or does not compile."""


@dataclass(frozen=True)
class Template:
    ref: str
    """As the platform file names it (``huawei_vrp_x.textfsm`` or ``ntc:huawei_vrp_x.textfsm``)."""
    path: Path
    text: str
    values: tuple[str, ...]

    def fsm(self) -> textfsm.TextFSM:
        return textfsm.TextFSM(io.StringIO(self.text))


@cache
def _load(path: Path, ref: str) -> Template:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"template '{ref}' cannot be read: {exc.strerror}") from None
    try:
        fsm = textfsm.TextFSM(io.StringIO(text))
    except textfsm.TextFSMTemplateError as exc:
        raise TemplateError(f"template '{ref}' does not compile: {exc}") from None
    return Template(ref=ref, path=path, text=text, values=tuple(fsm.header))


def load_template(ref: str, search: Sequence[Path] = ()) -> Template:
    """Find a template: ``ntc:NAME`` in ntc-templates, else ``NAME`` in ``search`` then the own directory."""
    if ref.startswith(NTC_PREFIX):
        name = ref[len(NTC_PREFIX) :]
        path = NTC_TEMPLATES / name
        if "/" in name or not path.is_file():
            raise TemplateError(f"ntc-templates has no template '{name}' (see {NTC_TEMPLATES / 'index'})")
        return _load(path, ref)
    if "/" in ref or "\\" in ref:
        raise TemplateError(f"template '{ref}' must be a file name, not a path")
    for folder in (*search, OWN_TEMPLATES):
        path = folder / ref
        if path.is_file():
            return _load(path.resolve(), ref)
    places = ", ".join(str(p) for p in (*search, OWN_TEMPLATES))
    raise TemplateError(f"template '{ref}' not found in {places}")


@dataclass(frozen=True)
class Parsed:
    """What one output said."""

    records: list[Record] = field(default_factory=list)
    complete: bool = False
    problem: str | None = None
    """Why the output is not complete (None when it is)."""
    template: str | None = None
    """The template (or 'tl1') that read it."""
    notes: tuple[str, ...] = ()
    """Things worth a log line that do not make the output incomplete."""


@dataclass(frozen=True)
class CountCheck:
    pattern: re.Pattern[str]
    required: bool

    def check(self, text: str, found: int) -> str | None:
        m = self.pattern.search(text)
        if m is None:
            return f"no line matching '{self.pattern.pattern}' (the output was cut off?)" if self.required else None
        numbers = [int(g) for g in m.groups() if g is not None and g.isdigit()] or [0]
        expected = sum(numbers)
        if expected != found:
            return f"the output announces {expected} record(s) ('{m.group(0).strip()}') but {found} were read"
        return None


def clean(text: str) -> str:
    """Terminal noise off: CR, ANSI escapes, backspaces, trailing blanks."""
    text = _ANSI.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    while "\b" in text:
        text = re.sub(r"[^\n\b]\b|^\b", "", text, flags=re.MULTILINE)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _line_of(lines: Sequence[str], wanted: str) -> int:
    target = wanted.rstrip()
    for n, line in enumerate(lines, 1):
        if line.rstrip() == target:
            return n
    return 0


def _short(line: str) -> str:
    return repr(line.strip()[:100])


class Parser:
    """One command's output reader (see the module docstring)."""

    name = "?"

    def parse(self, text: str) -> Parsed:  # pragma: no cover - interface
        raise NotImplementedError


class TextFsmParser(Parser):
    def __init__(
        self,
        templates: Sequence[Template],
        *,
        error_patterns: Sequence[re.Pattern[str]] = (),
        required: Sequence[str] = (),
        count: CountCheck | None = None,
        allow_empty: bool = True,
    ) -> None:
        if not templates:
            raise ValueError("a TextFSM parser needs at least one template")
        self.templates = tuple(templates)
        self.error_patterns = tuple(error_patterns)
        self.required = tuple(required)
        self.count = count
        self.allow_empty = allow_empty
        self.name = self.templates[0].ref

    @property
    def fields(self) -> set[str]:
        """Fields every template of this parser provides."""
        out = set(self.templates[0].values)
        for t in self.templates[1:]:
            out &= set(t.values)
        return out

    def _records(self, template: Template, text: str) -> list[Record]:
        fsm = template.fsm()
        rows = fsm.ParseTextToDicts(text)
        out: list[Record] = []
        for row in rows:
            out.append({k: (" ".join(v) if isinstance(v, list) else str(v)) for k, v in row.items()})
        return out

    def _incomplete(self, records: list[Record]) -> str | None:
        for n, rec in enumerate(records, 1):
            missing = [f for f in self.required if not rec.get(f, "").strip()]
            if missing:
                return f"record {n} has no {', '.join(missing)} (the output was cut off or is not this command's)"
        return None

    def parse(self, text: str) -> Parsed:
        text = clean(text)
        lines = text.split("\n")
        for n, line in enumerate(lines, 1):
            for pattern in self.error_patterns:
                if pattern.search(line):
                    return Parsed(problem=f"the element refused the command: line {n}: {_short(line)}")
        failures: list[_Failure] = []
        for template in self.templates:
            try:
                records = self._records(template, text)
            except textfsm.TextFSMError as exc:
                m = _TEXTFSM_LINE.search(str(exc))
                bad = m.group(1) if m else ""
                number = _line_of(lines, bad)
                where = f"line {number}" if number else "a line"
                failures.append(_Failure(template, number, f"{where} not understood: {_short(bad)}"))
                continue
            gap = self._incomplete(records)
            if gap is not None:
                failures.append(_Failure(template, len(lines) + 1, gap))
                continue
            return self._checked(text, records, template.ref)
        return self._salvage(lines, failures)

    def _checked(self, text: str, records: list[Record], ref: str) -> Parsed:
        if self.count is not None:
            wrong = self.count.check(text, len(records))
            if wrong is not None:
                return Parsed(records=records, problem=wrong, template=ref)
        if not records and not self.allow_empty:
            return Parsed(problem="no records at all (an element always shows some here; the output is not trusted)")
        return Parsed(records=records, complete=True, template=ref)

    def _salvage(self, lines: list[str], failures: list[_Failure]) -> Parsed:
        """No template read the whole output: say where, keep the records before that line.

        The template that got furthest is the one the output most likely is; its reason is given.
        """
        best = max(failures, key=lambda f: f.line)
        names = ", ".join(t.ref for t in self.templates)
        records: list[Record] = []
        if best.line > 1:
            try:
                records = self._records(best.template, "\n".join(lines[: best.line - 1]))
            except textfsm.TextFSMError:
                records = []
            records = [r for r in records if self._incomplete([r]) is None]
        return Parsed(records=records, problem=f"{best.reason} (template {names})", template=best.template.ref)


@dataclass(frozen=True)
class _Failure:
    template: Template
    line: int
    """The offending line (0: not found in the text; past the end: a whole-output check failed)."""
    reason: str


class Tl1Parser(Parser):
    """A TL1 RTRV-ALM / RTRV-COND response; records as :data:`TL1_FIELDS`."""

    name = "tl1"

    def __init__(self, allow_empty: bool = True) -> None:
        self.allow_empty = allow_empty

    @property
    def fields(self) -> set[str]:
        return set(TL1_FIELDS)

    def parse(self, text: str, ctag: str | None = None) -> Parsed:
        try:
            response = parse_tl1(clean(text), ctag)
        except Tl1Error as exc:
            return Parsed(problem=f"not a TL1 response: {exc}", template="tl1")
        records: list[Record] = [r.alarm_fields() for r in response.records]
        if response.code == "DENY":
            what = response.error_text
            code = response.error_code or "no error code"
            return Parsed(problem=f"TL1 DENY {code}" + (f" ({what})" if what else ""), template="tl1")
        if response.code in ("DELAY", "RTRV"):
            return Parsed(problem=f"TL1 {response.code}: the element has not answered yet", template="tl1")
        notes = tuple(response.problems) if response.complete else ()
        if response.code == "PRTL":
            return Parsed(records=records, problem="TL1 PRTL: the element answered only in part", template="tl1")
        if not response.complete:
            return Parsed(records=records, problem="; ".join(response.problems), template="tl1")
        if not records and not self.allow_empty:
            return Parsed(problem="no records at all", template="tl1")
        return Parsed(records=records, complete=True, template="tl1", notes=notes)


def fields_of(parser: Parser) -> set[str]:
    if isinstance(parser, TextFsmParser | Tl1Parser):
        return parser.fields
    return set()


def as_rows(records: Sequence[Mapping[str, str]], missing: frozenset[str]) -> list[dict[str, str | None]]:
    """Records with the device's 'no value' spellings ('-', '--', 'N/A' ...) turned into None."""
    return [{k: (None if v.strip() in missing else v.strip()) for k, v in rec.items()} for rec in records]
