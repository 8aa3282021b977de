"""TL1 response blocks: the real BTI 7200 capture, real-looking SDH samples, malformed blocks."""

from __future__ import annotations

import pytest

from agent.cli.tl1 import Tl1Error, parse_record, parse_tl1

from .helpers import real, sample

REAL = "bjmllr-tl1__command_spec.rb.L143-151.RTRV-ALM-ALL.txt"


def test_real_bti7200_capture() -> None:
    """Heredoc indentation, the echoed command and the trailing prompt around one COMPLD block."""
    r = parse_tl1(real(REAL))
    assert (r.sid, r.date, r.time, r.ctag, r.code) == ("bti7200hoge", "17-09-06", "11:45:28", "100", "COMPLD")
    assert r.ok and r.complete and r.problems == () and r.error_code is None
    assert [(x.aid, x.aid_type) for x in r.records] == [
        ("XFP-11-12-3", "EQPT"),
        ("XFP-11-12-4", "EQPT"),
        ("TPR-11-13-4", "XCVR"),
    ]
    los = r.records[2].alarm_fields()
    assert los["NTFCNCDE"] == "CR" and los["CONDTYPE"] == "LOS" and los["SRVEFF"] == "SA"
    assert (los["OCRDAT"], los["OCRTM"], los["LOCN"], los["DIRN"]) == ("08-16", "04-04-01", "NEND", "")
    assert los["CONDDESCR"] == "Loss of signal."  # the escaped quotes are gone
    assert r.records[0].line == 5


def test_sdh_sample_with_quoted_sid_and_commas_in_descriptions() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all.txt"))
    assert (r.sid, r.date, r.ctag, r.code) == ("NE-GZ-01", "26-11-21", "101", "COMPLD")
    assert len(r.records) == 5
    first = r.records[0].alarm_fields()
    assert first["CONDDESCR"] == "Loss of signal, fibre cut suspected"  # a comma inside the quotes
    assert r.records[3].alarm_fields()["DIRN"] == ""


def test_four_digit_year_and_tmper() -> None:
    r = parse_tl1(sample("tl1", "rtrv_cond_all.txt"))
    assert r.date == "2026-11-21"
    f = r.records[1].alarm_fields()
    assert (f["NTFCNCDE"], f["CONDTYPE"], f["OCRDAT"], f["TMPER"]) == ("NA", "AIS-L", "2026-11-21", "")


def test_deny_gives_the_error_code_and_its_meaning() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_deny.txt"))
    assert r.code == "DENY" and not r.ok
    assert r.error_code == "IIAC"
    assert r.error_text == "Input, Invalid ACcess identifier"
    assert r.records == ()


def test_deny_without_comment_uses_the_standard_meaning() -> None:
    r = parse_tl1("\n   NE1 26-11-21 10:00:00\nM  7 DENY\n   PLNA\n;\n")
    assert (r.error_code, r.error_text) == ("PLNA", "Privilege, Login Not Active")


def test_continued_blocks_are_joined() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_continued.txt"))
    assert r.ok and r.blocks == 2
    assert [x.aid for x in r.records] == ["STM1-1-3-1", "VC4-1-3-1-1"]


def test_autonomous_messages_and_acknowledgments_are_skipped() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_autonomous.txt"))
    assert r.ok and r.autonomous == 1 and r.ctag == "107"
    assert [x.aid for x in r.records] == ["STM1-1-3-1"]  # not the REPT ALM's STM1-1-3-3


def test_cut_off_response_is_returned_incomplete_with_its_records() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_truncated.txt"))
    assert r.code == "COMPLD" and not r.complete and not r.ok
    assert len(r.records) == 2
    assert r.problems == ("the response (from line 1) has no ';' terminator: cut off",)


def test_missing_continuation_block() -> None:
    text = '   NE1 26-11-21 10:00:00\nM  9 COMPLD\n   "STM1-1-1-1:CR,LOS,SA,11-21,10-00-00,NEND,RCV"\n>\n'
    r = parse_tl1(text)
    assert not r.complete and "next block is missing" in r.problems[0]


def test_partial_completion() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_prtl.txt"))
    assert r.code == "PRTL" and r.complete and not r.ok
    assert r.comments == ("shelf 2 did not answer",)


def test_empty_response() -> None:
    r = parse_tl1(sample("tl1", "rtrv_alm_all_empty.txt"))
    assert r.ok and r.records == ()


def test_ctag_selects_the_response() -> None:
    text = sample("tl1", "rtrv_alm_all_empty.txt") + sample("tl1", "rtrv_alm_all.txt")
    assert parse_tl1(text, ctag="101").records[0].aid == "STM1-1-3-1"
    assert parse_tl1(text, ctag="104").records == ()
    with pytest.raises(Tl1Error, match=r"responses of several ctags \(101, 104\): give the ctag"):
        parse_tl1(text)
    with pytest.raises(Tl1Error, match="no TL1 response with ctag '999'"):
        parse_tl1(text, ctag="999")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty output"),
        ("   \n\n", "empty output"),
        ("RTRV-ALM-ALL:::100;\nIP 100\n<\n", "only an acknowledgment"),
        ("Error: Unrecognized command found at '^' position.\n", "no TL1 response: no header line"),
        ("   NE1 26-11-21 10:00:00\nM  100 WHAT\n;\n", "line 2: unknown completion code 'WHAT'"),
    ],
)
def test_malformed(text: str, message: str) -> None:
    with pytest.raises(Tl1Error, match=message):
        parse_tl1(text)


def test_unclosed_quote_names_the_line() -> None:
    with pytest.raises(Tl1Error, match=r"line 3: quoted record is not closed"):
        parse_tl1(sample("tl1", "rtrv_alm_all_bad_quote.txt"))


def test_multi_line_comment_and_unquoted_lines() -> None:
    text = "   NE1 26-11-21 10:00:00\nM  5 COMPLD\n   /* first line\n      second line */\n   LINE=1\n;\n"
    r = parse_tl1(text)
    assert r.comments == ("first line second line",) and r.texts == ("LINE=1",)


def test_record_with_keyword_parameters() -> None:
    rec = parse_record('STM1-1-1-1:NTFCNCDE=MJ,CONDTYPE=AIS-L,SRVEFF=NSA:\\"MS AIS\\"', 1)
    f = rec.alarm_fields()
    assert (f["AID"], f["AIDTYPE"], f["NTFCNCDE"], f["CONDTYPE"], f["CONDDESCR"]) == (
        "STM1-1-1-1",
        "",
        "MJ",
        "AIS-L",
        "MS AIS",
    )


def test_colon_inside_an_escaped_description_does_not_split_blocks() -> None:
    rec = parse_record('E1-1-2-3,E1:MN,LOF,NSA,11-21,10-00-00,NEND,RCV:\\"frame lost: check 2M cable\\",', 4)
    assert rec.alarm_fields()["CONDDESCR"] == "frame lost: check 2M cable"
    assert rec.part(9, 9) == ""
