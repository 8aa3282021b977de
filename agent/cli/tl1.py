"""TL1 (Telcordia GR-831) response blocks, read as an SDH/MSTP element sends them over a terminal.

A response to one command looks like::

       NE-GZ-01 26-11-21 14:03:07            <- header: SID, date (YY-MM-DD or YYYY-MM-DD), time
    M  100 COMPLD                            <- identification: ctag and completion code
       "STM1-1-3-1,STM1:CR,LOS,SA,11-21,14-02-55,NEND,RCV:\\"Loss of signal\\","
       /* free text */
    ;                                        <- ';' ends it, '>' says another block follows

Completion codes are ``COMPLD``, ``DENY`` (then an unquoted four-letter error code such as
``IIAC``), ``PRTL`` (partly done), ``DELAY`` and ``RTRV`` (in progress). Around the responses a
terminal also shows the echoed command, acknowledgments (``IP 100`` then ``<``), autonomous
messages (``*C 12 REPT ALM ...``) and the prompt; they are skipped, and only responses of the
requested ctag are read.

:func:`parse_tl1` raises :class:`Tl1Error` when the text holds no usable response or a block is
malformed (an unbalanced quote, an unknown completion code, two different ctags when none was
asked for). A response cut off before its terminator is returned with ``complete=False`` and a
line in ``problems``: its records are real, but the list may be short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMPLETION_CODES = ("COMPLD", "DENY", "PRTL", "DELAY", "RTRV")

ERROR_CODES = {
    "ENEQ": "Equipage, Not EQuipped",
    "ICNV": "Input, Command Not Valid",
    "IDNV": "Input, Data Not Valid",
    "IIAC": "Input, Invalid ACcess identifier",
    "IICM": "Input, Invalid CoMmand",
    "IICT": "Input, Invalid Correlation Tag",
    "IIFM": "Input, Invalid data ForMat",
    "IIPG": "Input, Invalid Parameter Grouping",
    "IISP": "Input, Invalid Syntax or Punctuation",
    "IITA": "Input, Invalid TArget identifier",
    "IPNV": "Input, Parameter Not Valid",
    "PICC": "Privilege, Illegal Command Code",
    "PLNA": "Privilege, Login Not Active",
    "SARB": "Status, All Resources Busy",
    "SDNR": "Status, Data Not Ready",
    "SNVS": "Status, Not in Valid State",
    "SROF": "Status, Requested Operation Failed",
}
"""The GR-833 error codes an element commonly answers with (what a NOC engineer looks up)."""

ALARM_FIELDS = ("NTFCNCDE", "CONDTYPE", "SRVEFF", "OCRDAT", "OCRTM", "LOCN", "DIRN", "TMPER")
"""Positional parameters of the second block of an RTRV-ALM / RTRV-COND record."""

_HEADER = re.compile(
    r"^\s*(?P<sid>\"[^\"]*\"|\S+)\s+(?P<date>(?:\d{2}|\d{4})-\d{2}-\d{2})\s+(?P<time>\d{2}:\d{2}:\d{2})\s*$"
)
_IDENT = re.compile(r"^\s*M\s+(?P<ctag>\S+)\s+(?P<code>[A-Z]+)\s*$")
_AUTONOMOUS = re.compile(r"^\s*(?:\*C|\*\*|\*|A)\s+\S+\s+\S+")
_ACK = re.compile(r"^\s*(?:IP|PF|OK|NA|NG|RL)\s+\S+\s*$")
_ERROR_CODE = re.compile(r"^[A-Z]{4}$")


class Tl1Error(ValueError):
    """The text holds no usable TL1 response; the message says what and where."""


@dataclass(frozen=True)
class Tl1Record:
    """One quoted line of a response body: ``:``-separated blocks of ``,``-separated parameters."""

    text: str
    """The record without its outer quotes, escaped quotes (``\\"``) unescaped."""
    line: int
    """1-based line of the record in the text given to :func:`parse_tl1`."""
    blocks: tuple[tuple[str, ...], ...]

    def part(self, block: int, position: int) -> str:
        """One positional parameter, '' when the record does not have it."""
        if block >= len(self.blocks) or position >= len(self.blocks[block]):
            return ""
        return self.blocks[block][position]

    @property
    def aid(self) -> str:
        return self.part(0, 0)

    @property
    def aid_type(self) -> str:
        return self.part(0, 1)

    def alarm_fields(self) -> dict[str, str]:
        """An RTRV-ALM / RTRV-COND record as named fields.

        ``AID[,AIDTYPE]:NTFCNCDE,CONDTYPE,SRVEFF,OCRDAT,OCRTM,LOCN,DIRN[,TMPER]:CONDDESCR,AIDDET``;
        a second block written as ``NAME=value`` pairs is read by name instead.
        """
        out = {"AID": self.aid, "AIDTYPE": self.aid_type}
        second = self.blocks[1] if len(self.blocks) > 1 else ()
        if any("=" in p for p in second):
            for p in second:
                name, _, value = p.partition("=")
                out[name.strip().upper()] = value.strip()
        else:
            for i, name in enumerate(ALARM_FIELDS):
                out[name] = second[i].strip() if i < len(second) else ""
        out["CONDDESCR"] = self.part(2, 0).strip()
        out["AIDDET"] = self.part(2, 1).strip()
        return out


@dataclass(frozen=True)
class Tl1Response:
    sid: str
    date: str
    """As sent: ``YY-MM-DD`` or ``YYYY-MM-DD``."""
    time: str
    ctag: str
    code: str
    """COMPLD, DENY, PRTL, DELAY or RTRV."""
    records: tuple[Tl1Record, ...] = ()
    texts: tuple[str, ...] = ()
    """Unquoted body lines (the error code of a DENY, unquoted parameter lines)."""
    comments: tuple[str, ...] = ()
    error_code: str | None = None
    """The four-letter code of a DENY (``IIAC`` ...), else None."""
    complete: bool = True
    """False when the last block has no ';' terminator (the text was cut off)."""
    blocks: int = 1
    """Response blocks read (a long answer comes in several, each but the last ended by '>')."""
    autonomous: int = 0
    """Autonomous messages skipped while reading."""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The command completed and the whole answer was read."""
        return self.code == "COMPLD" and self.complete

    @property
    def error_text(self) -> str:
        """What the DENY means: the element's own comment, else the GR-833 meaning of the code."""
        if self.code != "DENY":
            return ""
        known = ERROR_CODES.get(self.error_code or "", "")
        own = self.comments[0] if self.comments else ""
        return own or known


def _unescape(inner: str) -> str:
    return inner.replace('\\"', '"').replace("\\\\", "\\")


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside (escaped or plain) quoted strings."""
    out: list[str] = []
    buf: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == '"':
            quoted = not quoted
            buf.append('\\"')
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return out


def _strip_quotes(value: str) -> str:
    v = value.strip()
    if len(v) >= 4 and v.startswith('\\"') and v.endswith('\\"'):
        return _unescape(v[2:-2])
    if len(v) >= 2 and v.startswith('"') and v.endswith('"'):
        return v[1:-1]
    return _unescape(v)


def parse_record(inner: str, line: int) -> Tl1Record:
    """One record, given the text between its outer quotes."""
    blocks = tuple(tuple(_strip_quotes(p) for p in _split(block, ",")) for block in _split(inner, ":"))
    return Tl1Record(text=_unescape(inner), line=line, blocks=blocks)


@dataclass
class _Block:
    sid: str
    date: str
    time: str
    ctag: str
    code: str
    start: int
    records: list[Tl1Record] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    end: str | None = None
    """';' or '>' once the terminator was read."""


def _next_content(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _read_body(lines: list[str], i: int, block: _Block) -> int:
    """Read body lines from ``i`` until the terminator; returns the index after it (or len)."""
    comment: list[str] | None = None
    while i < len(lines):
        raw = lines[i]
        s = raw.strip()
        number = i + 1
        i += 1
        if comment is not None:
            end = s.find("*/")
            comment.append(s[:end] if end >= 0 else s)
            if end >= 0:
                block.comments.append(" ".join(p for p in comment if p).strip())
                comment = None
            continue
        if not s:
            continue
        if s in (";", ">") or (s[0] in ";>" and not s[1:].strip().startswith('"')):
            block.end = s[0]
            return i
        if s.startswith('"'):
            if len(s) < 2 or not s.endswith('"') or (s.endswith('\\"') and not s.endswith('\\""')):
                raise Tl1Error(f"line {number}: quoted record is not closed: {s[:80]!r} (cut off or malformed)")
            block.records.append(parse_record(s[1:-1], number))
            continue
        if s.startswith("/*"):
            end = s.find("*/")
            if end >= 0:
                block.comments.append(s[2:end].strip())
            else:
                comment = [s[2:]]
            continue
        if _HEADER.match(raw):
            nxt = _next_content(lines, i)
            if nxt < len(lines) and _IDENT.match(lines[nxt]):
                return i - 1  # the next block started without a terminator: this one was cut off
        block.texts.append(s)
    return i


def parse_tl1(text: str, ctag: str | None = None) -> Tl1Response:
    """The response (of ``ctag``, or the only one) in ``text``; see the module docstring."""
    if not text or not text.strip():
        raise Tl1Error("empty output: no TL1 response")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[_Block] = []
    autonomous = 0
    acks = 0
    i = 0
    while i < len(lines):
        m = _HEADER.match(lines[i])
        if m is None:
            if _ACK.match(lines[i]):
                acks += 1
            i += 1
            continue
        j = _next_content(lines, i + 1)
        ident = lines[j] if j < len(lines) else ""
        r = _IDENT.match(ident)
        if r is None:
            if _AUTONOMOUS.match(ident):
                autonomous += 1
                skip = _Block("", "", "", "", "", j)
                i = _read_body(lines, j + 1, skip)
                continue
            i += 1
            continue
        code = r.group("code")
        if code not in COMPLETION_CODES:
            raise Tl1Error(f"line {j + 1}: unknown completion code '{code}' (expected {', '.join(COMPLETION_CODES)})")
        block = _Block(m.group("sid").strip('"'), m.group("date"), m.group("time"), r.group("ctag"), code, i + 1)
        i = _read_body(lines, j + 1, block)
        if ctag is None or block.ctag == ctag:
            blocks.append(block)
    if not blocks:
        if ctag is not None:
            raise Tl1Error(f"no TL1 response with ctag '{ctag}' (no 'M  {ctag} <code>' line)")
        if acks:
            raise Tl1Error("only an acknowledgment (IP/PF/OK ...): the response itself never came")
        raise Tl1Error("no TL1 response: no header line 'SID YY-MM-DD HH:MM:SS' followed by 'M  <ctag> <code>'")
    ctags = sorted({b.ctag for b in blocks})
    if len(ctags) > 1:
        raise Tl1Error(f"responses of several ctags ({', '.join(ctags)}): give the ctag of the command")
    return _combine(blocks, autonomous)


def _combine(blocks: list[_Block], autonomous: int) -> Tl1Response:
    """Join a response sent in several blocks ('>' then ... then ';')."""
    used: list[_Block] = []
    for b in blocks:
        used.append(b)
        if b.end != ">":
            break
    extra = len(blocks) - len(used)
    last = used[-1]
    problems: list[str] = []
    complete = last.end == ";"
    if last.end is None:
        problems.append(f"the response (from line {last.start}) has no ';' terminator: cut off")
    elif last.end == ">":
        problems.append(f"the response continues ('>' after block {len(used)}) but the next block is missing")
    if extra:
        problems.append(f"{extra} more response block(s) of the same ctag after the final ';' were ignored")
    first = used[0]
    codes = [b.code for b in used]
    code = "DENY" if "DENY" in codes else ("PRTL" if "PRTL" in codes else first.code)
    texts = tuple(t for b in used for t in b.texts)
    records = tuple(r for b in used for r in b.records)
    error_code = None
    if code == "DENY":
        error_code = next((t for t in texts if _ERROR_CODE.match(t)), None)
        if error_code is None:
            error_code = next((r.text.strip() for r in records if _ERROR_CODE.match(r.text.strip())), None)
        if error_code is None:
            problems.append("DENY without a four-letter error code")
    return Tl1Response(
        sid=first.sid,
        date=first.date,
        time=first.time,
        ctag=first.ctag,
        code=code,
        records=records if code != "DENY" else (),
        texts=texts,
        comments=tuple(c for b in used for c in b.comments),
        error_code=error_code,
        complete=complete,
        blocks=len(used),
        autonomous=autonomous,
        problems=tuple(problems),
    )
