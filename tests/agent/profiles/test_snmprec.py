"""agent.snmprec: every line of every real recording is read or reported; values have the right types."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.snmprec import decode_value, load_snmprec, parse_snmprec, table_rows

from .helpers import REAL, real

RECORDINGS = sorted(REAL.glob("*.snmprec"))

# duplicates of the same OID: the recordings were concatenated upstream (the first line is kept)
DUPLICATES = {"librenms__zxr10_5928.snmprec": 1010, "librenms__zxa10_c320.snmprec": 3}


def test_there_are_21_recordings() -> None:
    assert len(RECORDINGS) == 21, [p.name for p in RECORDINGS]


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: p.name.removeprefix("librenms__").removesuffix(".snmprec"))
def test_every_line_is_read_or_reported(path: Path) -> None:
    rec = load_snmprec(path)
    records = sum(1 for line in path.read_bytes().split(b"\n") if line.strip() and not line.startswith(b"#"))
    assert rec.lines == records
    assert len(rec.values) + len(rec.nulls) + len(rec.problems) == records
    assert len(rec.problems) == DUPLICATES.get(path.name, 0), rec.problems[:3]
    assert all("duplicate of line" in p for p in rec.problems)
    assert isinstance(rec.get("1.3.6.1.2.1.1.2.0"), str)  # sysObjectID is an OID


def test_value_types_follow_the_tags() -> None:
    ne8000 = real("vrp_ne8000-m8")
    assert ne8000.get("1.3.6.1.2.1.1.2.0") == "1.3.6.1.4.1.2011.2.360.1.9"  # 6
    assert ne8000.get("1.3.6.1.2.1.2.2.1.2.16") == b"GigabitEthernet0/8/0"  # 4
    assert ne8000.get("1.3.6.1.4.1.2011.5.25.31.1.1.3.1.8.17240321") == -290  # 2
    assert (ne8000.text("1.3.6.1.2.1.1.1.0") or "").startswith("Huawei Versatile Routing Platform")
    assert ne8000.get("1.3.6.1.2.1.4.31.1.1.4.1") == 56287950  # 70 Counter64
    ocnos = real("ocnos_s9510-28dc-b")
    assert ocnos.get("1.3.6.1.2.1.3.1.1.3.10009.1.105.108.9.202") == "105.108.9.202"  # 64x
    zte = real("zxa10_c320")
    assert zte.get("1.3.6.1.2.1.2.2.1.6.268435456") == b"\x00" * 6  # 4e, \x escapes
    assert zte.get("1.0.8802.1.1.2.1.3.5.0") == b"(\x00\x00\x00"
    cxc = real("cxc_e3")
    assert "1.3.6.1.4.1.7309.5.1.100.1.3.21" in cxc.nulls  # 5 NULL
    assert cxc.get("1.3.6.1.4.1.7309.5.1.100.1.3.21") is None


def test_decode_value_per_type() -> None:
    assert decode_value("2", "-4000") == -4000
    assert decode_value("4", "xe1") == b"xe1"
    assert decode_value("4x", "00ff") == b"\x00\xff"
    assert decode_value("4e", "a\\tb\\\\") == b"a\tb\\"
    assert decode_value("6", ".1.3.6.1") == "1.3.6.1"
    assert decode_value("64", "10.0.0.1") == "10.0.0.1"
    assert decode_value("64x", "0a000001") == "10.0.0.1"
    for tag in ("65", "66", "67"):
        assert decode_value(tag, "4294967295") == 2**32 - 1
    assert decode_value("70", "18446744073709551615") == 2**64 - 1
    assert decode_value("5", "") is None


def test_bad_lines_are_reported_with_their_line_number() -> None:
    text = b"\n".join(
        [
            b"1.3.6.1.2.1.1.3.0|67|100",
            b"# a comment",
            b"1.3.6.1.2.1.1.4.0|4x|zz",
            b"1.3.6.1.2.1.1.5.0|99|x",
            b"1.3.6.1.2.1.1.6.0|2|many",
            b"1.3.6.1.2.1.1.7.0|65|-1",
            b"not-an-oid|2|1",
            b"1.3.6.1.2.1.1.8.0",
            b"1.3.6.1.2.1.1.9.1|6|1.3.x",
            b"1.3.6.1.2.1.1.9.2|4|\xff\xfe",
            b"1.3.6.1.2.1.1.9.3|2:numeric|1",
            b"1.3.6.1.2.1.1.3.0|67|200",
        ]
    )
    rec = parse_snmprec(text, name="bad.snmprec")
    assert rec.values == {"1.3.6.1.2.1.1.3.0": 100, "1.3.6.1.2.1.1.9.2": b"\xff\xfe"}
    lines = [p.split(":")[1] for p in rec.problems]
    assert lines == ["3", "4", "5", "6", "7", "8", "9", "11", "12"]
    assert rec.problems[0] == "bad.snmprec:3: 1.3.6.1.2.1.1.4.0: bad hex 'zz'"
    assert "out of range" in rec.problems[3]
    assert "duplicate of line 1" in rec.problems[-1]


def test_a_truncated_recording_reports_the_cut_line() -> None:
    data = (REAL / "librenms__vrp_ne8000-m8.snmprec").read_bytes()
    cut = data.index(b"\n1.3.6.1.2.1.2.2.1.8.16|") + len(b"\n1.3.6.1.2.1.2.2.1.8.16")
    rec = parse_snmprec(data[:cut], name="cut.snmprec")
    assert rec.problems == ["cut.snmprec:" + str(rec.lines) + ": not OID|TYPE|VALUE: '1.3.6.1.2.1.2.2.1.8.16'"]
    assert "1.3.6.1.2.1.2.2.1.7.25" in rec.values  # everything before the cut is there


def test_table_rows_slices_a_table_by_index() -> None:
    ne8000 = real("vrp_ne8000-m8")
    rows = table_rows(ne8000.values, ["1.3.6.1.2.1.2.2.1.8", "1.3.6.1.2.1.31.1.1.1.1"])
    assert len(rows) == 19
    assert list(rows)[:4] == ["1", "2", "3", "4"]  # numeric, not text, order
    assert rows["16"] == {"1.3.6.1.2.1.2.2.1.8": 1, "1.3.6.1.2.1.31.1.1.1.1": b"GigabitEthernet0/8/0"}
    assert rows["54"] == {"1.3.6.1.2.1.2.2.1.8": 1}  # no ifName for this one
    alias = table_rows(ne8000.values, ["1.3.6.1.2.1.47.1.3.2.1.2"])
    assert alias["17305857.1"] == {"1.3.6.1.2.1.47.1.3.2.1.2": "1.3.6.1.2.1.2.2.1.1.16"}
