"""Correlator behaviour built event by event on the lab: rule parameters, the incident life cycle,
impact across incidents, and the analysis on hand-made Alarm objects."""

from __future__ import annotations

from datetime import timedelta

from correlator.alarms import Alarm, AlarmState
from correlator.alarmtypes import load_alarm_types
from correlator.correlation import ImpactStatus, IncidentChangeKind, IncidentState, incident_id
from correlator.correlation.rca import Rca
from correlator.correlation.rules import CorrelationRules, SharedDuct
from correlator.correlation.topology import Topology
from correlator.wire import Resource
from tests.correlator.conftest import MakeHarness, at, clear, ev, lab_network, read_jsonl, shipped_rules

OUT = ImpactStatus.outage
LOST = ImpactStatus.protection_lost
DEG = ImpactStatus.degraded

SPAN_A = ("SDH-CEN", "port", "12-SL16-1")  # L-SDH-CEN-NOR, cable CB-CEN-NOR
SPAN_Z = ("SDH-NOR", "port", "11-SL16-1")


def with_rule(rules: CorrelationRules, name: str, **changes: object) -> CorrelationRules:
    new = [r.model_copy(update=changes) if r.name == name else r for r in rules.rules]
    return rules.model_copy(update={"rules": new})


# -- layer masking ---------------------------------------------------------------------------------


def test_the_highest_layer_on_a_port_masks_every_lower_one(harness: MakeHarness) -> None:
    h = harness()
    order = ["LP_RDI", "TU_AIS", "HP_RDI", "AU_AIS", "MS_AIS", "RS_TIM", "LOF", "LOS"]
    h.feed(*[ev(i * 0.1, "SDH-NOR", "port", "11-SL16-1", t) for i, t in enumerate(order)])
    decisions = h.cor.rca.decisions()
    los = "SDH-NOR|port:11-SL16-1|LOS"
    for t in order[:-1]:
        parent, _, rule, _ = decisions[f"SDH-NOR|port:11-SL16-1|{t}"]
        assert (parent, rule) == (los, "sdh-layer-masking"), t
    h.feed(clear(5, "SDH-NOR", "port", "11-SL16-1", "LOS"))
    decisions = h.cor.rca.decisions()
    assert decisions["SDH-NOR|port:11-SL16-1|RS_TIM"][0] == "SDH-NOR|port:11-SL16-1|LOF"


# -- link fault --------------------------------------------------------------------------------------


def test_one_end_is_a_port_fault_unless_min_ends_is_one(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, *SPAN_Z, "LOS"))
    h.settle()
    assert h.roots() == ["port:SDH-NOR:11-SL16-1"]
    assert h.statuses(h.only()) == {"C-001": LOST, "C-013": LOST}
    h1 = harness(with_rule(shipped_rules(), "fibre-link-fault", min_ends=1))
    h1.feed(ev(0, *SPAN_Z, "LOS"))
    h1.settle()
    assert h1.roots() == ["link:L-SDH-CEN-NOR"]


def test_rdi_pairs_with_the_far_end_of_its_section(harness: MakeHarness) -> None:
    """A one-way cut: LOS at the receiving end, MS-RDI sent back to the other end."""
    h = harness()
    h.feed(ev(0, *SPAN_Z, "LOS"), ev(0.2, *SPAN_A, "MS_RDI"))
    h.settle()
    inc = h.only()
    assert inc.root_key == "port:SDH-NOR:11-SL16-1"
    assert inc.symptoms["SDH-CEN|port:12-SL16-1|MS_RDI"].rule == "rdi-pairing"


# -- shared risk -------------------------------------------------------------------------------------


def cable_cut(t_ip: float) -> list:  # type: ignore[type-arg]
    return [
        ev(0, "SDH-WES", "port", "2-CXL16-1", "LOS"),
        ev(0, "SDH-CEN", "port", "11-SL16-1", "LOS"),
        ev(t_ip, "ATN-WES", "port", "GigabitEthernet0/2/0", "LINK_DOWN"),
        ev(t_ip, "AGG-CEN", "port", "GigabitEthernet0/3/0", "LINK_DOWN"),
    ]


def test_links_of_one_cable_failing_within_the_window_are_one_cut(harness: MakeHarness) -> None:
    h = harness()
    h.feed(*cable_cut(30))
    h.settle()
    assert [i.root_key for i in h.live()] == ["cable:CB-WES-CEN"]


def test_links_of_one_cable_failing_further_apart_are_two_faults(harness: MakeHarness) -> None:
    h = harness()
    h.feed(*cable_cut(120))
    h.settle()
    assert sorted(i.root_key for i in h.live()) == ["link:L-IP-WES-CEN", "link:L-SDH-WES-CEN"]


def test_a_cut_stays_the_root_while_any_of_its_links_is_down(harness: MakeHarness) -> None:
    h = harness()
    h.feed(*cable_cut(0.5))
    h.settle()
    inc = h.only()
    h.feed(clear(60, "SDH-WES", "port", "2-CXL16-1", "LOS"), clear(60, "SDH-CEN", "port", "11-SL16-1", "LOS"))
    h.settle(30)
    assert [i.id for i in h.live()] == [inc.id]
    assert inc.state is IncidentState.open
    assert h.statuses(inc)["C-009"] is OUT
    assert inc.circuits["C-010"].until == at(60)  # the SDH span is back: the voice trunk restored


def gne_power_off() -> list:  # type: ignore[type-arg]
    """SDH-CEN loses power: LOS on the ports facing it, in cables CB-WES-CEN and CB-PGOV-A, which
    share duct D-003 (the CO-CENTRAL cable vault); the poller finds it unreachable a moment later."""
    return [
        ev(0, "SDH-WES", "port", "2-CXL16-1", "LOS"),
        ev(0.1, "CPE-PGOV-HQ", "port", "Cpos2/0/0", "LOS"),
        ev(2, "SDH-CEN", "device", "SDH-CEN", "DEVICE_UNREACHABLE"),
    ]


def test_failures_one_element_explains_are_not_a_cut(harness: MakeHarness) -> None:
    h = harness()
    h.feed(*gne_power_off())
    h.settle()
    assert h.roots() == ["device:SDH-CEN"]
    assert h.only().symptoms["SDH-WES|port:2-CXL16-1|LOS"].rule == "unreachable-element"


def test_without_the_exemption_the_same_failures_are_a_duct_cut(harness: MakeHarness) -> None:
    rules = with_rule(shipped_rules(), "shared-duct", single_equipment_exempt=False)
    assert isinstance(rules.rule(SharedDuct), SharedDuct)
    h = harness(rules)
    h.feed(*gne_power_off())
    h.settle()
    assert "duct:D-003" in h.roots()


# -- unreachable elements ------------------------------------------------------------------------------


def test_managed_via_off_makes_every_unreachable_element_its_own_incident(harness: MakeHarness) -> None:
    h = harness(with_rule(shipped_rules(), "unreachable-element", managed_via=False))
    h.run(read_jsonl("gne-unreachable"))
    assert len(h.published()) == 6


def test_facing_ports_off_splits_a_cpe_power_off(harness: MakeHarness) -> None:
    h = harness(with_rule(shipped_rules(), "unreachable-element", facing_ports=False))
    h.run(read_jsonl("cpe-power-off"))
    assert sorted(h.roots()) == ["device:CPE-SMB-01", "port:ATN-NOR:gei-0/2/0/2"]


def test_a_root_found_after_the_settle_window_absorbs_the_open_incident(harness: MakeHarness) -> None:
    """The poller finds the CPE unreachable a minute after the port went down: merged, not duplicated."""
    h = harness()
    h.feed(ev(0, "ATN-NOR", "port", "gei-0/2/0/2", "LINK_DOWN"))
    h.settle(10)
    first = h.only()
    assert first.state is IncidentState.open and first.root_key == "port:ATN-NOR:gei-0/2/0/2"
    h.feed(ev(60, "CPE-SMB-01", "device", "CPE-SMB-01", "DEVICE_UNREACHABLE"))
    assert first.state is IncidentState.merged
    live = h.live()
    assert [i.root_key for i in live] == ["device:CPE-SMB-01"]
    root = live[0]
    assert first.merged_into == root.id
    assert root.state is IncidentState.open  # it takes over a published incident: no second settle
    assert root.circuits["C-011"].since == at(0)
    assert {iv.incident for iv in root.history} == {root.id}
    kinds = [c.kind for c in h.changes if c.incident is first]
    assert kinds[-1] is IncidentChangeKind.merged


# -- the incident life cycle -----------------------------------------------------------------------


def test_an_incident_opens_when_its_settle_window_ends(harness: MakeHarness) -> None:
    h = harness()
    changes = h.feed(ev(0, *SPAN_Z, "LOS"))
    assert [c.kind for c in changes] == [IncidentChangeKind.created]
    inc = changes[0].incident
    assert inc.state is IncidentState.settling
    assert inc.settle_until == at(0.2) + timedelta(seconds=5)
    h.advance_to(at(5.1))
    assert inc.state is IncidentState.settling
    h.advance_to(at(5.2))
    assert inc.state is IncidentState.open and inc.was_open


def test_a_root_returning_soon_reopens_its_incident_later_a_new_one(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, *SPAN_Z, "LOS"))
    h.settle()
    inc = h.only()
    h.feed(clear(20, *SPAN_Z, "LOS"))
    assert inc.state is IncidentState.cleared and inc.cleared_at == at(20)
    assert inc.circuits["C-001"].until == at(20)
    h.feed(ev(400, *SPAN_Z, "LOS"))  # after the flap window: a new condition, not a flap
    assert inc.state is IncidentState.open
    assert inc.circuits["C-001"].until is None
    assert [iv.start for iv in inc.history if iv.circuit == "C-001"] == [at(0), at(400)]
    h.feed(clear(500, *SPAN_Z, "LOS"))
    h.settle(901)
    assert inc.state is IncidentState.closed
    h.feed(ev(2000, *SPAN_Z, "LOS"))
    assert [i.id for i in h.live()] != [inc.id]
    assert len(h.live()) == 1


def test_incident_ids_come_from_the_root_and_its_first_time(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, *SPAN_Z, "LOS"))
    assert h.live()[0].id == incident_id("port:SDH-NOR:11-SL16-1", at(0))
    assert incident_id("port:SDH-NOR:11-SL16-1", at(0)).startswith("INC-20261201T020000Z-")


# -- impact --------------------------------------------------------------------------------------------


def test_faults_on_both_paths_are_an_outage_in_both_incidents(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, *SPAN_Z, "LOS"), ev(0, *SPAN_A, "LOS"))  # C-001 working
    h.feed(ev(10, "SDH-SOU", "port", "2-CXL16-1", "LOS"), ev(10, "SDH-WES", "port", "1-CXL16-1", "LOS"))  # protection
    h.settle()
    by_root = {i.root_key: i for i in h.live()}
    north, south = by_root["link:L-SDH-CEN-NOR"], by_root["link:L-SDH-SOU-WES"]
    assert north.circuits["C-001"].status is OUT and south.circuits["C-001"].status is OUT
    steps: list[tuple[ImpactStatus, object]] = []
    for iv in sorted((iv for iv in north.history if iv.circuit == "C-001"), key=lambda iv: (iv.start, iv.id)):
        if not steps or steps[-1][0] is not iv.status:
            steps.append((iv.status, iv.start))
    assert steps == [(LOST, at(0)), (OUT, at(10))]
    h.feed(clear(60, "SDH-SOU", "port", "2-CXL16-1", "LOS"), clear(60, "SDH-WES", "port", "1-CXL16-1", "LOS"))
    assert north.circuits["C-001"].status is LOST
    assert south.state is IncidentState.cleared and south.circuits["C-001"].until == at(60)


def test_a_degrading_root_degrades_the_circuits_over_it(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, "SDH-CEN", "optical", "12-SL16-1", "OPTICAL_RX_LOW"))
    h.settle()
    inc = h.only()
    assert inc.root_key == "port:SDH-CEN:12-SL16-1"
    assert h.statuses(inc) == {"C-001": DEG, "C-013": DEG}


def test_a_vrf_down_is_a_symptom_of_the_pw_below_it(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, "ATN-WES", "pw", "PW-20062", "PW_DOWN"), ev(0.5, "AGG-CEN", "vrf", "EGOV-VPN", "VRF_DOWN"))
    h.settle()
    inc = h.only()
    assert inc.root_key == "pw:PW-20062"
    assert inc.symptoms["AGG-CEN|vrf:EGOV-VPN|VRF_DOWN"].rule == "ipran-chain"
    assert h.statuses(inc) == {"C-006": LOST}


def test_an_alarm_on_an_unknown_element_is_kept_as_its_own_incident(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, "GHOST-NE", "port", "1-1", "LOS"))
    h.settle()
    inc = h.only()
    assert inc.root_key == "port:GHOST-NE:1-1"
    assert inc.circuits == {}


def test_monitoring_meta_alarms_open_no_incident_but_can_be_symptoms(harness: MakeHarness) -> None:
    h = harness()
    h.feed(ev(0, "CPE-SMB-01", "device", "CPE-SMB-01", "COLLECTION_FAILED"))
    h.settle()
    assert h.published() == []
    h.feed(ev(20, "CPE-SMB-01", "device", "CPE-SMB-01", "DEVICE_UNREACHABLE"))
    h.settle()
    inc = h.only()
    assert inc.symptoms["CPE-SMB-01|device:CPE-SMB-01|COLLECTION_FAILED"].rule == "unreachable-element"


# -- the analysis on hand-made alarms -----------------------------------------------------------------


def alarm(device: str, rtype: str, rid: str, atype: str, ref: str | None, t: float = 0) -> Alarm:
    spec = load_alarm_types().get(atype)
    resource = Resource(type=rtype, id=rid)  # type: ignore[arg-type]
    return Alarm(
        key=f"{device}|{resource.key()}|{atype}",
        device=device,
        resource=resource,
        alarm_type=atype,
        severity=spec.severity,
        layer=spec.layer,
        kind=spec.kind,
        state=AlarmState.active,
        raised_at=at(t),
        cleared_at=None,
        first_seen=at(t),
        last_seen=at(t),
        count=1,
        changes=1,
        sources=set(),
        last_event_id="x",
        ref=ref,
    )


def test_root_cause_analysis_on_hand_made_alarms() -> None:
    _, index = lab_network()
    rca = Rca(Topology(index), shipped_rules(), load_alarm_types())
    los_a = alarm("SDH-CEN", "port", "12-SL16-1", "LOS", "port:SDH-CEN:12-SL16-1")
    los_z = alarm("SDH-NOR", "port", "11-SL16-1", "LOS", "port:SDH-NOR:11-SL16-1")
    ais = alarm("CPE-EGOV", "path", "Cpos2/0/0", "AU_AIS", "port:CPE-EGOV:Cpos2/0/0")
    delta = rca.apply_alarms([ais])
    assert delta.moved == [(ais.key, None, "port:CPE-EGOV:Cpos2/0/0")]
    delta = rca.apply_alarms([los_a, los_z])
    assert sorted(delta.moved) == sorted(
        [
            (ais.key, "port:CPE-EGOV:Cpos2/0/0", "link:L-SDH-CEN-NOR"),
            (los_a.key, None, "link:L-SDH-CEN-NOR"),
            (los_z.key, None, "link:L-SDH-CEN-NOR"),
        ]
    )
    assert rca.nodes[ais.key].parent == los_z.key  # the nearer end of the cut on C-001's path
    gone = los_z.snapshot()
    gone.state = AlarmState.cleared
    rca.apply_alarms([gone])
    assert rca.nodes[ais.key].parent == los_a.key
    assert rca.nodes[los_a.key].root == "port:SDH-CEN:12-SL16-1"
    assert rca.decisions() == rca.full_check()
