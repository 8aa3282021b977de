"""Write the lab scenario event files (``*.jsonl`` next to this file) from the tables below.

    .venv/bin/python tests/data/events/make_events.py

Each scenario is a list of (seconds after T0, action, element, resource type, resource id, alarm
type[, observation delay]); severity and layer come from config/alarm_types.yaml, ``observed_at`` is
``raised_at`` (or ``cleared_at``) plus the delay (0.2 s for a trap, 2.5 s for a poll after the
agent's hold-off). The files are committed; ``tests/correlator/test_scenarios.py`` checks they are
what this script writes, so edit the tables here, not the files.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from correlator.alarmtypes import load_alarm_types  # noqa: E402
from correlator.wire import AlarmEvent, Resource  # noqa: E402

HERE = Path(__file__).resolve().parent
T0 = datetime(2026, 12, 1, 2, 0, 0, tzinfo=UTC)
TRAP = 0.2
POLL = 2.5

Row = tuple[float, str, str, str, str, str] | tuple[float, str, str, str, str, str, float]

R, C = "raise", "clear"

SCENARIOS: dict[str, tuple[str, list[Row]]] = {
    # Fibre cut on the Huawei ring span SDH-CEN -- SDH-NOR (link L-SDH-CEN-NOR): LOS at both ends,
    # LOF and AU-LOP under the LOS, AU-AIS downstream at both CPEs of C-001's working path, TU-AIS
    # downstream of C-013's protection (CPE-BANK-DC2, MSTP-NOR), LP-RDI back at the sub-branch.
    # Spliced after ten minutes.
    "sdh-span-cut": (
        "fibre cut on SDH ring span L-SDH-CEN-NOR: link root, protected circuits lose protection",
        [
            (0.0, R, "SDH-NOR", "port", "11-SL16-1", "LOS"),
            (0.1, R, "SDH-CEN", "port", "12-SL16-1", "LOS"),
            (0.2, R, "SDH-NOR", "port", "11-SL16-1", "LOF"),
            (0.3, R, "SDH-CEN", "path", "12-SL16-1-VC4-1", "AU_LOP"),
            (0.5, R, "CPE-EGOV", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (0.6, R, "CPE-PGOV-HQ", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (0.7, R, "MSTP-NOR", "path", "3-OL4-1-VC12-17", "TU_AIS", POLL),
            (0.8, R, "CPE-BANK-DC2", "path", "Cpos2/0/0:VC12-17", "TU_AIS"),
            (1.0, R, "CPE-BANK-SUB", "path", "E1-0/1/0", "LP_RDI"),
            (600.0, C, "SDH-NOR", "port", "11-SL16-1", "LOS"),
            (600.0, C, "SDH-CEN", "port", "12-SL16-1", "LOS"),
            (600.1, C, "SDH-NOR", "port", "11-SL16-1", "LOF"),
            (600.1, C, "SDH-CEN", "path", "12-SL16-1-VC4-1", "AU_LOP"),
            (600.3, C, "CPE-EGOV", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (600.3, C, "CPE-PGOV-HQ", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (600.3, C, "MSTP-NOR", "path", "3-OL4-1-VC12-17", "TU_AIS", POLL),
            (600.3, C, "CPE-BANK-DC2", "path", "Cpos2/0/0:VC12-17", "TU_AIS"),
            (600.4, C, "CPE-BANK-SUB", "path", "E1-0/1/0", "LP_RDI"),
        ],
    ),
    # A backhoe cuts cable CB-WES-CEN: the SDH ring span L-SDH-WES-CEN and the IPRAN ring link
    # L-IP-WES-CEN ride it. LOS on the SDH span, LINK_DOWN on the IPRAN ports, TU-AIS downstream of
    # the voice trunk C-010, MS-RDI, PW and tunnel symptoms. Repaired after 30 minutes.
    "sdh-cable-cut": (
        "cut of cable CB-WES-CEN (SDH span + IPRAN link): cable root; unprotected circuits out",
        [
            (0.0, R, "SDH-WES", "port", "2-CXL16-1", "LOS"),
            (0.0, R, "SDH-CEN", "port", "11-SL16-1", "LOS"),
            (0.05, R, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (0.05, R, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (0.3, R, "SDH-CEN", "path", "2-PQ1-1", "TU_AIS"),
            (0.4, R, "CPE-CAR-4S", "path", "E1-1/0/0", "TU_AIS"),
            (0.5, R, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", "TUNNEL_DOWN"),
            (0.5, R, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-02", "TUNNEL_DOWN"),
            (0.6, R, "ATN-WES", "pw", "PW-20021", "PW_DOWN"),
            (0.6, R, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
            (0.6, R, "ATN-WES", "pw", "PW-20091", "PW_DOWN"),
            (0.6, R, "ATN-RIV", "pw", "PW-20042", "PW_DOWN"),
            (0.7, R, "ATN-XC", "pw", "PW-20121", "PW_DOWN", POLL),
            (1800.0, C, "SDH-WES", "port", "2-CXL16-1", "LOS"),
            (1800.0, C, "SDH-CEN", "port", "11-SL16-1", "LOS"),
            (1800.0, C, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (1800.0, C, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (1800.2, C, "SDH-CEN", "path", "2-PQ1-1", "TU_AIS"),
            (1800.2, C, "CPE-CAR-4S", "path", "E1-1/0/0", "TU_AIS"),
            (1801.0, C, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", "TUNNEL_DOWN"),
            (1801.0, C, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-02", "TUNNEL_DOWN"),
            (1801.5, C, "ATN-WES", "pw", "PW-20021", "PW_DOWN"),
            (1801.5, C, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
            (1801.5, C, "ATN-WES", "pw", "PW-20091", "PW_DOWN"),
            (1801.5, C, "ATN-RIV", "pw", "PW-20042", "PW_DOWN"),
            (1801.5, C, "ATN-XC", "pw", "PW-20121", "PW_DOWN", POLL),
        ],
    ),
    # Road works cut duct D-013, the south entry duct of Government Square: cables CB-PGOV-A and
    # CB-PGOV-B both run in it (the hidden shared duct of C-001). No element can report a duct;
    # CPE-PGOV-HQ loses both links and goes unreachable; the e-gov VPN loses its B access link.
    "duct-cut": (
        "cut of duct D-013 (cables CB-PGOV-A and CB-PGOV-B): duct root; C-001 out, C-006 unprotected",
        [
            (0.0, R, "SDH-CEN", "port", "6-SLQ1-1", "LOS"),
            (0.0, R, "CPE-PGOV-HQ", "port", "Cpos2/0/0", "LOS"),
            (0.1, R, "SDH-WES", "port", "4-SLQ1-1", "LOS"),
            (0.2, R, "ATN-WES", "port", "GigabitEthernet0/1/1", "LINK_DOWN"),
            (0.2, R, "CPE-PGOV-VPN", "port", "GigabitEthernet0/0/2", "LINK_DOWN"),
            (0.6, R, "CPE-EGOV", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (0.6, R, "CPE-EGOV", "path", "Cpos3/0/0:VC4-1", "AU_AIS"),
            (0.9, R, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
            (30.0, R, "CPE-PGOV-HQ", "device", "CPE-PGOV-HQ", "DEVICE_UNREACHABLE", POLL),
            (7200.0, C, "SDH-CEN", "port", "6-SLQ1-1", "LOS"),
            (7200.0, C, "SDH-WES", "port", "4-SLQ1-1", "LOS"),
            (7200.0, C, "CPE-PGOV-HQ", "port", "Cpos2/0/0", "LOS"),
            (7200.3, C, "CPE-EGOV", "path", "Cpos2/0/0:VC4-1", "AU_AIS"),
            (7200.3, C, "CPE-EGOV", "path", "Cpos3/0/0:VC4-1", "AU_AIS"),
            (7230.0, C, "CPE-PGOV-HQ", "device", "CPE-PGOV-HQ", "DEVICE_UNREACHABLE", POLL),
            (7500.0, C, "ATN-WES", "port", "GigabitEthernet0/1/1", "LINK_DOWN"),
            (7500.0, C, "CPE-PGOV-VPN", "port", "GigabitEthernet0/0/2", "LINK_DOWN"),
            (7500.5, C, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
        ],
    ),
    # The design studio switches its MikroTik off for the night: the ATN port facing it goes down,
    # the PW goes down, and two seconds later the poller finds the CPE unreachable.
    "cpe-power-off": (
        "CPE-SMB-01 powered off: device root; only C-011 is out",
        [
            (0.0, R, "ATN-NOR", "port", "gei-0/2/0/2", "LINK_DOWN"),
            (0.3, R, "ATN-NOR", "pw", "PW-20111", "PW_DOWN"),
            (2.0, R, "CPE-SMB-01", "device", "CPE-SMB-01", "DEVICE_UNREACHABLE", POLL),
            (28800.0, C, "ATN-NOR", "port", "gei-0/2/0/2", "LINK_DOWN"),
            (28800.5, C, "ATN-NOR", "pw", "PW-20111", "PW_DOWN"),
            (28830.0, C, "CPE-SMB-01", "device", "CPE-SMB-01", "DEVICE_UNREACHABLE", POLL),
        ],
    ),
    # The 10GE/GE optics of AGG-CEN GigabitEthernet0/3/0 (access ring 1 uplink to ATN-WES) die. BFD
    # sees it first (50 ms), then the ports, tunnels and PWs.
    "ipran-agg-port-down": (
        "AGG-CEN port to ATN-WES down: link root with BFD, tunnel and PW symptoms",
        [
            (0.00, R, "AGG-CEN", "bfd", "bfd-41", "BFD_DOWN"),
            (0.01, R, "ATN-WES", "bfd", "bfd-21", "BFD_DOWN"),
            (0.10, R, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (0.12, R, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (0.20, R, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", "TUNNEL_DOWN"),
            (0.20, R, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-02", "TUNNEL_DOWN"),
            (0.30, R, "ATN-WES", "pw", "PW-20021", "PW_DOWN"),
            (0.30, R, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
            (0.30, R, "ATN-WES", "pw", "PW-20091", "PW_DOWN"),
            (0.30, R, "ATN-RIV", "pw", "PW-20042", "PW_DOWN"),
            (0.40, R, "ATN-XC", "pw", "PW-20121", "PW_DOWN", POLL),
            (5400.0, C, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (5400.0, C, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (5400.1, C, "AGG-CEN", "bfd", "bfd-41", "BFD_DOWN"),
            (5400.1, C, "ATN-WES", "bfd", "bfd-21", "BFD_DOWN"),
            (5401.0, C, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-01", "TUNNEL_DOWN"),
            (5401.0, C, "ATN-WES", "tunnel", "TE-ATNWES-AGGCEN-02", "TUNNEL_DOWN"),
            (5402.0, C, "ATN-WES", "pw", "PW-20021", "PW_DOWN"),
            (5402.0, C, "ATN-WES", "pw", "PW-20062", "PW_DOWN"),
            (5402.0, C, "ATN-WES", "pw", "PW-20091", "PW_DOWN"),
            (5402.0, C, "ATN-RIV", "pw", "PW-20042", "PW_DOWN"),
            (5402.0, C, "ATN-XC", "pw", "PW-20121", "PW_DOWN", POLL),
        ],
    ),
    # The LPU in AGG-CEN slot 3 fails: both access-ring uplinks on it go down (the shared board of
    # C-006), the ATNs facing it see their ports down.
    "board-fault": (
        "AGG-CEN board 3 fails: board root; C-006 out (its two paths share the board)",
        [
            (0.0, R, "AGG-CEN", "board", "3", "BOARD_FAULT"),
            (0.1, R, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (0.1, R, "AGG-CEN", "port", "GigabitEthernet0/3/1", "LINK_DOWN"),
            (0.2, R, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (0.2, R, "ATN-NOR", "port", "gei-0/1/0/1", "LINK_DOWN"),
            (900.0, C, "AGG-CEN", "board", "3", "BOARD_FAULT"),
            (900.1, C, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
            (900.1, C, "AGG-CEN", "port", "GigabitEthernet0/3/1", "LINK_DOWN"),
            (900.2, C, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
            (900.2, C, "ATN-NOR", "port", "gei-0/1/0/1", "LINK_DOWN"),
        ],
    ),
    # The gateway NE of the Huawei ring stops answering (DCN): the NEs managed only through it go
    # unreachable too. One incident, not six.
    "gne-unreachable": (
        "SDH-CEN unreachable: the ring NEs managed through it are its symptoms",
        [
            (0.0, R, "SDH-CEN", "device", "SDH-CEN", "DEVICE_UNREACHABLE", POLL),
            (1.0, R, "SDH-NOR", "device", "SDH-NOR", "DEVICE_UNREACHABLE", POLL),
            (1.2, R, "SDH-EAS", "device", "SDH-EAS", "DEVICE_UNREACHABLE", POLL),
            (1.4, R, "SDH-SOU", "device", "SDH-SOU", "DEVICE_UNREACHABLE", POLL),
            (1.6, R, "SDH-WES", "device", "SDH-WES", "DEVICE_UNREACHABLE", POLL),
            (1.8, R, "SDH-BKDR", "device", "SDH-BKDR", "DEVICE_UNREACHABLE", POLL),
            (600.0, C, "SDH-CEN", "device", "SDH-CEN", "DEVICE_UNREACHABLE", POLL),
            (601.0, C, "SDH-NOR", "device", "SDH-NOR", "DEVICE_UNREACHABLE", POLL),
            (601.2, C, "SDH-EAS", "device", "SDH-EAS", "DEVICE_UNREACHABLE", POLL),
            (601.4, C, "SDH-SOU", "device", "SDH-SOU", "DEVICE_UNREACHABLE", POLL),
            (601.6, C, "SDH-WES", "device", "SDH-WES", "DEVICE_UNREACHABLE", POLL),
            (601.8, C, "SDH-BKDR", "device", "SDH-BKDR", "DEVICE_UNREACHABLE", POLL),
        ],
    ),
    # A bad patch cord on the Huixin store 01 access port: LINK_DOWN comes and goes every 15 s for
    # two minutes, then the cord is replaced. The alarm book calls it flapping after 4 changes.
    "flapping-port": (
        "ATN-RIV port to Huixin store 01 flaps: one incident, flagged flapping",
        [(15.0 * i, R if i % 2 == 0 else C, "ATN-RIV", "port", "gei-0/2/0/3", "LINK_DOWN") for i in range(10)],
    ),
    # A clear overtakes its raise (two agents, trap and poll): the alarm ends cleared, no incident.
    "clear-before-raise": (
        "a clear that arrives before its raise: no standing alarm, no incident",
        [
            (0.0, C, "SDH-SOU", "port", "5-SL4-1", "LOS"),
            (-3.0, R, "SDH-SOU", "port", "5-SL4-1", "LOS", 3.5),
        ],
    ),
    # The tributary AIS (polled) reaches the correlator before the LOS traps of the span cut that
    # caused it (trap storm, queueing): re-parented within the settle window, never its own incident.
    "settle-reparent": (
        "symptom before its root within the settle window: re-parented, not an incident of its own",
        [
            (0.0, R, "SDH-CEN", "path", "2-PQ1-1", "TU_AIS", 0.1),
            (0.5, R, "SDH-WES", "port", "2-CXL16-1", "LOS", 2.0),
            (0.5, R, "SDH-CEN", "port", "11-SL16-1", "LOS", 2.1),
            (300.0, C, "SDH-WES", "port", "2-CXL16-1", "LOS"),
            (300.0, C, "SDH-CEN", "port", "11-SL16-1", "LOS"),
            (300.0, C, "SDH-CEN", "path", "2-PQ1-1", "TU_AIS"),
        ],
    ),
}


def events_of(name: str) -> list[AlarmEvent]:
    types = load_alarm_types()
    _, rows = SCENARIOS[name]
    out: list[AlarmEvent] = []
    for n, row in enumerate(rows, start=1):
        dt, action, device, rtype, rid, atype = row[:6]
        delay = row[6] if len(row) > 6 else TRAP
        at = types.get(atype)
        t = T0 + timedelta(seconds=dt)
        seen = t + timedelta(seconds=delay)
        out.append(
            AlarmEvent(
                event_id=f"{name}-{n:03d}",
                action=action,  # type: ignore[arg-type]
                device=device,
                resource=Resource(type=rtype, id=rid),  # type: ignore[arg-type]
                alarm_type=atype,
                severity=at.severity,
                layer=at.layer,
                raised_at=t,
                cleared_at=t if action == C else None,
                observed_at=seen,
                source="poll" if delay == POLL else "trap",  # type: ignore[arg-type]
                agent="lab-agent-1",
            )
        )
    out.sort(key=lambda e: (e.observed_at, e.event_id))
    return out


def render(name: str) -> str:
    return "".join(json.dumps(e.to_dict(), separators=(",", ":")) + "\n" for e in events_of(name))


def main() -> None:
    for name in SCENARIOS:
        (HERE / f"{name}.jsonl").write_text(render(name), encoding="utf-8")
        print(f"wrote {name}.jsonl")


if __name__ == "__main__":
    main()
