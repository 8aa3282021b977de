"""Every resource endpoint on what the correlator wrote for the lab's duct D-013 cut (tests/data/events):
C-001 (provincial, AAA) loses both routes, C-006 (provincial, AA) one; tickets open; then repair."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.api.conftest import OP, READ, Lab, cut_part, scenario

INC = "INC-20261201T020000Z-58f8b1eb"
TZ_SUFFIX = "+08:00"


def get(c: TestClient, path: str) -> Any:
    r = c.get(path, headers=READ)
    assert r.status_code == 200, r.text
    return r.json()


def test_active_incidents_with_root_cause_and_impacted_circuits(client: TestClient) -> None:
    body = get(client, "/api/v1/incidents")
    assert [i["id"] for i in body["incidents"]] == [INC]
    inc = body["incidents"][0]
    assert inc["state"] == "open" and inc["published"] is True
    assert inc["root"] == {
        "kind": "duct",
        "id": "D-013",
        "key": "duct:D-013",
        "rule": "shared-duct",
        "evidence": [
            "ATN-WES|port:GigabitEthernet0/1/1|LINK_DOWN",
            "CPE-PGOV-HQ|device:CPE-PGOV-HQ|DEVICE_UNREACHABLE",
            "CPE-PGOV-VPN|port:GigabitEthernet0/0/2|LINK_DOWN",
            "SDH-CEN|port:6-SLQ1-1|LOS",
            "SDH-WES|port:4-SLQ1-1|LOS",
        ],
    }
    assert [(c["circuit"], c["status"]) for c in inc["circuits"]] == [("C-001", "outage"), ("C-006", "protection_lost")]
    assert inc["outage"] == ["C-001"] and inc["single_route_risk"] == ["C-006"]
    assert inc["tier"] == "provincial" and inc["maintenance_level"] == "AAA"
    assert inc["started_at"] == "2026-12-01T10:00:00+08:00"
    assert inc["tickets"] == ["TK-20261201T020000Z-C-001", "TK-20261201T020000Z-C-006"]
    d = inc["deadline"]
    assert (d["clock"], d["circuit"], d["ticket"]) == ("dispatch", "C-001", "TK-20261201T020000Z-C-001")
    assert d["due"] == "2026-12-01T10:15:00.100000+08:00"
    assert d["warn_at"] == "2026-12-01T10:12:00.100000+08:00"
    assert d["state"] == "running"


def test_incident_detail_has_symptoms_and_history(client: TestClient) -> None:
    inc = get(client, f"/api/v1/incidents/{INC}")
    assert inc["symptom_count"] == len(inc["symptoms"]) == 4
    assert {s["alarm"] for s in inc["symptoms"]} >= {"ATN-WES|pw:PW-20062|PW_DOWN"}
    assert all(s["parent"] for s in inc["symptoms"])
    assert {(h["circuit"], h["status"]) for h in inc["history"] if h["end"] is None} == {
        ("C-001", "outage"),
        ("C-006", "protection_lost"),
    }
    # C-001 lost its working path 0.1 s before the protection path: a closed interval
    assert ("C-001", "protection_lost", "2026-12-01T10:00:00.100000+08:00") in {
        (h["circuit"], h["status"], h["end"]) for h in inc["history"]
    }
    merged = get(client, "/api/v1/incidents?state=merged")["incidents"]
    assert {i["merged_into"] for i in merged} <= {INC, *(m["id"] for m in merged)}
    assert len(merged) == 2
    assert get(client, "/api/v1/incidents?state=all&published=false")["total"] == 2


def test_the_deadline_turns_at_risk_then_breached_with_the_clock(duct_cut: Lab) -> None:
    duct_cut.until(datetime.fromisoformat("2026-12-01T02:13:00+00:00"))
    with TestClient(duct_cut.app()) as c:
        assert get(c, f"/api/v1/incidents/{INC}")["deadline"]["state"] == "at_risk"
        duct_cut.until(datetime.fromisoformat("2026-12-01T02:16:00+00:00"))
        assert get(c, f"/api/v1/incidents/{INC}")["deadline"]["state"] == "breached"


def test_alarms_with_filters(client: TestClient) -> None:
    body = get(client, "/api/v1/alarms")
    assert body["total"] == len(body["alarms"]) == 9
    assert all(a["state"] == "active" for a in body["alarms"])
    assert all(a["incident"] == INC for a in body["alarms"]), [a for a in body["alarms"] if a["incident"] != INC]
    assert all(a["last_seen"].endswith(TZ_SUFFIX) for a in body["alarms"])
    sdh = get(client, "/api/v1/alarms?device=SDH-CEN")["alarms"]
    assert [a["key"] for a in sdh] == ["SDH-CEN|port:6-SLQ1-1|LOS"]
    assert sdh[0]["ref"] == "port:SDH-CEN:6-SLQ1-1" and sdh[0]["severity"] == "critical"
    late = get(client, "/api/v1/alarms?since=" + quote("2026-12-01T10:00:30+08:00"))["alarms"]
    assert [a["alarm_type"] for a in late] == ["DEVICE_UNREACHABLE"]
    assert get(client, "/api/v1/alarms?state=cleared")["total"] == 0
    assert get(client, "/api/v1/alarms?state=standing")["total"] == 9
    critical = {e.reduction_key for e in cut_part(scenario("duct-cut")) if e.severity.value == "critical"}
    assert {a["key"] for a in get(client, "/api/v1/alarms?severity=critical")["alarms"]} == critical
    one = get(client, "/api/v1/alarms?limit=2")
    assert one["total"] == 9 and len(one["alarms"]) == 2 and one["limit"] == 2
    key = get(client, "/api/v1/alarms?key=" + quote("ATN-WES|pw:PW-20062|PW_DOWN"))["alarms"]
    assert [a["key"] for a in key] == ["ATN-WES|pw:PW-20062|PW_DOWN"]


def test_circuits_with_status_and_single_route_risk(client: TestClient) -> None:
    body = get(client, "/api/v1/circuits")
    assert body["total"] == 13
    by_id = {c["id"]: c for c in body["circuits"]}
    assert (by_id["C-001"]["status"], by_id["C-001"]["route_state"]) == ("outage", "outage")
    assert (by_id["C-006"]["status"], by_id["C-006"]["route_state"]) == ("protection_lost", "single_route_risk")
    assert by_id["C-006"]["incidents"] == [INC]
    assert by_id["C-002"]["status"] == "ok" and by_id["C-002"]["incidents"] == []
    assert by_id["C-001"]["diversity_verdict"] == "violation"
    assert by_id["C-001"]["network_grade"] == "A"
    # most important first: group tier before provincial
    assert body["circuits"][0]["tier"] == "group"
    risk = get(client, "/api/v1/circuits?route_state=single_route_risk")["circuits"]
    assert [c["id"] for c in risk] == ["C-006"]
    assert [c["id"] for c in get(client, "/api/v1/circuits?status=outage")["circuits"]] == ["C-001"]
    assert [c["id"] for c in get(client, "/api/v1/circuits?customer=CUST-PGOV")["circuits"]] == [
        "C-001",
        "C-006",
    ]


def test_circuit_detail_with_availability_of_a_period(client: TestClient) -> None:
    c = get(client, "/api/v1/circuits/C-001")
    assert c["working"] and c["protection"]
    a = c["availability"]
    assert a["start"] == "2026-12-01T00:00:00+08:00"
    # down since 10:00:00.1, now 10:10:32.5 (+08:00)
    assert abs(a["outage_seconds"] - 632.4) < 0.01
    assert a["met"] is False and a["target_percent"] > a["availability_percent"]
    period = "start=" + quote("2026-12-01T09:00:00+08:00") + "&end=" + quote("2026-12-01T10:00:00+08:00")
    before = get(client, f"/api/v1/circuits/C-001?{period}")["availability"]
    assert before["outage_seconds"] == 0 and before["availability_percent"] == 100.0
    assert get(client, "/api/v1/circuits/C-002")["availability"]["outage_seconds"] == 0


def test_diversity_findings(client: TestClient) -> None:
    body = get(client, "/api/v1/diversity/findings")
    assert body["counts"]["violation"] >= 1 and body["audited"] >= 1
    c001 = get(client, "/api/v1/diversity/findings?circuit=C-001")["findings"]
    duct = [f for f in c001 if f["rule"] == "same_duct"]
    assert [f["element"]["id"] for f in duct] == ["D-013"]
    assert duct[0]["working_hops"] and duct[0]["protection_hops"]
    assert all(f["rule"] == "same_cable" for f in get(client, "/api/v1/diversity/findings?rule=same_cable")["findings"])
    assert {f["circuit"] for f in get(client, "/api/v1/diversity/findings?verdict=diverse")["findings"]} == set()


def test_tickets_list_show_and_the_whole_life_through_the_api(client: TestClient, duct_cut: Lab) -> None:
    body = get(client, "/api/v1/tickets")
    assert [(t["circuit"], t["kind"], t["state"]) for t in body["tickets"]] == [
        ("C-001", "outage", "opened"),
        ("C-006", "protection_lost", "opened"),
    ]
    tid = body["tickets"][0]["id"]
    assert body["tickets"][0]["restore_due_at"] == "2026-12-01T11:00:00.100000+08:00"
    assert body["tickets"][0]["allowed_actions"] == ["dispatch"]
    assert [c["clock"] for c in body["tickets"][0]["clocks"]] == ["dispatch", "accept", "restore"]
    path = f"/api/v1/tickets/{tid}/transitions"

    def step(**b: Any) -> Any:
        r = client.post(path, headers=OP, json=b)
        assert r.status_code == 200, r.text
        return r.json()

    t = step(action="dispatch", team="JC-Line-1", note="fibre team to MH-28")
    assert (t["state"], t["team"], t["deadline"]["clock"]) == ("dispatched", "JC-Line-1", "accept")
    t = step(action="accept", team="JC-Line-1")
    assert t["deadline"]["clock"] == "restore"
    # the repair: the correlator sees the clears, the ticket book restores the ticket by itself
    events = scenario("duct-cut")
    duct_cut.feed(events[len(cut_part(events)) :]).settle(60)
    t = get(client, f"/api/v1/tickets/{tid}")
    assert t["state"] == "restored" and t["restored_at"] == "2026-12-01T12:00:00+08:00"
    assert [c["outcome"] for c in t["clocks"]][:3] == ["met", "met", "missed"]
    t = step(action="confirm", team="JC-Line-1")
    t = step(action="close", cause="operator_network", note="duct D-013 re-laid")
    assert t["state"] == "closed" and t["deadline"] is None and t["allowed_actions"] == []
    assert [(x["action"], x["actor"]) for x in t["transitions"]] == [
        ("open", "linewatch"),
        ("dispatch", "api:noc-op"),
        ("accept", "api:noc-op"),
        ("restore", "linewatch"),
        ("confirm", "api:noc-op"),
        ("close", "api:noc-op"),
    ]
    assert get(client, "/api/v1/tickets?state=closed")["tickets"][0]["id"] == tid
    assert get(client, f"/api/v1/tickets?incident={INC}&state=all")["total"] == 2
    # the incident is cleared now: no deadline, nothing on the NOC list
    noc = get(client, "/api/v1/noc")
    assert noc["incidents"] == [] and [i["id"] for i in noc["recently_cleared"]] == [INC]


def _window(lab: Lab, hours_ahead: float, **over: Any) -> dict[str, Any]:
    start = lab.clock.now() + timedelta(hours=hours_ahead)
    body: dict[str, Any] = {
        "title": "re-splice CB-EAS-SOU after the road works",
        "kind": "line_repair",
        "resources": ["cable:CB-EAS-SOU"],
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "steps": ["open MH-14", "splice", "test"],
        "rollback": "swing back to the old joint",
    }
    body.update(over)
    return body


def test_planned_work_create_update_cancel(client: TestClient, duct_cut: Lab) -> None:
    listed = get(client, "/api/v1/planned-work")
    assert [w["id"] for w in listed["windows"]] == ["PW-2026-12-001", "PW-2026-12-002", "PW-2026-12-003"]
    assert all(w["source"] == "inventory" for w in listed["windows"])
    pw3 = get(client, "/api/v1/planned-work/PW-2026-12-003")
    assert "approval_missing" in {f["rule"] for f in pw3["findings"]}

    r = client.post("/api/v1/planned-work", headers=OP, json=_window(duct_cut, 24))
    assert r.status_code == 201, r.text
    w = r.json()
    assert w["id"].startswith("PWR-2026") and w["source"] == "runtime" and w["revision"] == 1
    assert w["created_by"] == "api:noc-op" and w["start"].endswith(TZ_SUFFIX)
    assert w["steps"] == ["open MH-14", "splice", "test"]
    # cutting CB-EAS-SOU takes C-007's only route: 24 h notice is short of the 72 h required
    assert w["takes_service"] == ["C-007"] and "C-002" in w["takes_protection"]
    assert "notice_too_short" in {f["rule"] for f in w["findings"]}

    r = client.patch(
        f"/api/v1/planned-work/{w['id']}",
        headers=OP,
        json={"title": "re-splice CB-EAS-SOU", "expected_revision": 1, "approved": True, "approved_by": "duty manager"},
    )
    assert r.status_code == 200, r.text
    u = r.json()
    assert (u["title"], u["revision"], u["approved"], u["approved_by"]) == (
        "re-splice CB-EAS-SOU",
        2,
        True,
        "duty manager",
    )
    assert u["rollback"] == "swing back to the old joint"
    stale = client.patch(f"/api/v1/planned-work/{w['id']}", headers=OP, json={"title": "x", "expected_revision": 1})
    assert stale.status_code == 409 and "revision 2" in stale.json()["error"]

    r = client.post(f"/api/v1/planned-work/{w['id']}/cancel", headers=OP, json={"reason": "road works postponed"})
    assert r.status_code == 200, r.text
    cancelled = r.json()
    assert cancelled["state"] == "cancelled" and cancelled["cancelled_by"] == "api:noc-op"
    assert cancelled["cancel_reason"] == "road works postponed"
    again = client.post(f"/api/v1/planned-work/{w['id']}/cancel", headers=OP, json={"reason": "again"})
    assert again.status_code == 409
    assert [x["id"] for x in get(client, "/api/v1/planned-work?state=cancelled")["windows"]] == [w["id"]]
    assert get(client, "/api/v1/planned-work?source=runtime")["total"] == 1


def test_noc_summary(client: TestClient) -> None:
    noc = get(client, "/api/v1/noc")
    assert noc["now"] == "2026-12-01T10:10:32.500000+08:00" and noc["timezone"] == "Asia/Shanghai"
    assert noc["warn_fraction"] == 0.8
    assert [i["id"] for i in noc["incidents"]] == [INC]
    assert noc["incidents"][0]["deadline"]["ticket"] == "TK-20261201T020000Z-C-001"
    assert noc["impacted"] == 2
    assert [(r["circuit"], r["paths_down"]) for r in noc["protection_lost"]] == [("C-006", ["protection"])]
    a = noc["availability"]
    assert a["circuits"] == 13 and a["circuits_with_outage"] == 1 and a["below_target"] == ["C-001"]
    t = noc["timeliness"]
    assert t["open"] == 2 and t["breached"] == 0 and t["target_percent"] == 95.0
    assert noc["diversity_violations"] and all(f["verdict"] == "violation" for f in noc["diversity_violations"])
    assert noc["diversity_counts"]["violation"] == len({f["circuit"] for f in noc["diversity_violations"]})
    assert noc["notes"] == []
    assert noc["incidents"][0]["circuits_total"] == 2
    top = get(client, "/api/v1/noc?circuits=1")["incidents"][0]
    assert [c["circuit"] for c in top["circuits"]] == ["C-001"] and top["circuits_total"] == 2
    assert top["single_route_risk"] == ["C-006"]


def test_noc_ranks_by_tier_then_maintenance_level(lab_at: Any) -> None:
    """Two incidents at once: a local_c CPE power-off (C-011, III) and the duct cut (provincial, AAA):
    the duct cut ranks first although it started later."""
    power = scenario("cpe-power-off")
    cut = scenario("duct-cut")
    lab: Lab = lab_at(power[0].observed_at - timedelta(seconds=1))
    lab.feed(cut_part(power)).settle(30)
    shift = timedelta(seconds=60)
    lab.feed([e.model_copy(update={"observed_at": e.observed_at + shift}) for e in cut_part(cut)]).settle(60)
    with TestClient(lab.app()) as c:
        noc = get(c, "/api/v1/noc")
    assert [(i["tier"], i["root"]["kind"]) for i in noc["incidents"]] == [("provincial", "duct"), ("local_c", "device")]
