"""Detection: every real recording gets the right profile (kind, vendor, id); fallbacks; kind preference."""

from __future__ import annotations

import pytest

from correlator.domain import DeviceKind

from .helpers import detect, profiles, real

# recording -> (profile id, kind, vendor). S5720 is treated as an IPRAN/metro aggregation switch
# (huawei-vrp-switch: its optics are in µW); the transport elements get the transport profile of
# their vendor; the DC power-plant controller (cxc_e3) is no network element: generic fallback.
EXPECTED = {
    "vrp_ne8000-m8": ("huawei-vrp", "ipran", "huawei"),
    "vrp_ne": ("huawei-vrp", "ipran", "huawei"),
    "vrp_ne05e": ("huawei-vrp", "ipran", "huawei"),
    "vrp_5720": ("huawei-vrp-switch", "ipran", "huawei"),
    "vrp_ar169sfp": ("huawei-ar", "cpe", "huawei"),
    "huawei-optixrtn_optixrtn905": ("huawei-optix", "sdh", "huawei"),
    "zxr10_5928": ("zte-zxr10", "ipran", "zte"),
    "zxr10_5950": ("zte-zxr10", "ipran", "zte"),
    "zxa10_c320": ("zte-zxa10", "ipran", "zte"),
    "timos_7705-pmc": ("nokia-sros", "ipran", "nokia"),
    "nokia-1830_pss8-singlechassis": ("nokia-1830", "sdh", "nokia"),
    "ocnos_s9510-28dc-b": ("ipinfusion-ocnos", "ipran", "ipinfusion"),
    "iosxr_asr9010": ("cisco-iosxr", "ipran", "cisco"),
    "iosxr_ncs540": ("cisco-iosxr", "ipran", "cisco"),
    "iosxe_isr4321": ("cisco-isr-cpe", "cpe", "cisco"),
    "routeros_rb750gr3": ("mikrotik-routeros", "cpe", "mikrotik"),
    "ericsson-tn_tn": ("ericsson-minilink", "sdh", "ericsson"),
    "neptune_npt2100": ("ribbon-neptune", "mstp", "ribbon"),
    "loop-telecom_loop-am3440-ccpb-a": ("loop-am3440", "mstp", "loop-telecom"),
    "xos_sfp": ("extreme-exos", "ipran", "extreme"),
    "cxc_e3": ("generic-ipran", "ipran", "generic"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_recording_is_detected(name: str) -> None:
    profile = detect(real(name))
    assert (profile.id, profile.kind.value, profile.vendor) == EXPECTED[name]


def test_the_expectations_cover_every_recording() -> None:
    from .helpers import REAL

    names = {p.name.removeprefix("librenms__").removesuffix(".snmprec") for p in REAL.glob("*.snmprec")}
    assert names == set(EXPECTED)


def test_the_most_specific_prefix_wins_and_descr_narrows() -> None:
    ps = profiles()
    assert ps.detect("1.3.6.1.4.1.2011.2.23.291", "").id == "huawei-vrp-switch"  # 2011.2.23 beats 2011
    assert ps.detect("1.3.6.1.4.1.2011.2.999", "").id == "huawei-vrp"
    assert ps.detect(".1.3.6.1.4.1.2011.2.25.3.40", "OptiX OSN 3500").id == "huawei-optix"  # leading dot
    assert ps.detect("1.3.6.1.4.1.9.1.1017", "Cisco IOS XR Software").id == "cisco-iosxr"
    assert ps.detect("1.3.6.1.4.1.9.1.1", "Cisco IOS Software, C2960").id == "generic-ipran"  # no descr match
    assert ps.detect("1.3.6.1.4.1.20110", "").id == "generic-ipran"  # 2011 is a prefix on whole arcs only


def test_unknown_vendor_gets_the_fallback_of_its_kind() -> None:
    ps = profiles()
    assert ps.detect("1.3.6.1.4.1.99999.1", "Acme", DeviceKind.sdh).id == "generic-sdh"
    assert ps.detect("1.3.6.1.4.1.99999.1", "Acme", DeviceKind.mstp).id == "generic-mstp"
    assert ps.detect("1.3.6.1.4.1.99999.1", "Acme", DeviceKind.cpe).id == "generic-cpe"
    assert ps.detect("", "", None).id == "generic-ipran"
    assert [t.name for t in ps.get("generic-cpe").tables()] == ["system", "interfaces"]


def test_a_profile_of_the_inventory_kind_is_preferred() -> None:
    ps = profiles()
    # an ISR described as IOS XE matches both Cisco profiles' patterns only through the CPE one
    isr = "Cisco IOS Software [Bengaluru], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M)"
    assert ps.detect("1.3.6.1.4.1.9.1.2093", isr, DeviceKind.cpe).id == "cisco-isr-cpe"
    both = "Cisco IOS XR Software, ISR Software"  # matches both: the inventory kind decides
    assert ps.detect("1.3.6.1.4.1.9.1.1", both, DeviceKind.cpe).id == "cisco-isr-cpe"
    assert ps.detect("1.3.6.1.4.1.9.1.1", both, DeviceKind.ipran).id == "cisco-iosxr"
    # a vendor profile of another kind still beats the generic fallback of the inventory kind
    assert ps.detect("1.3.6.1.4.1.2011.2.360.1.9", "", DeviceKind.cpe).id == "huawei-vrp"


def test_get_and_iteration() -> None:
    ps = profiles()
    ids = [p.id for p in ps]
    assert "transport-base" not in ids  # abstract
    assert len(ids) == len(set(ids)) == len(ps)
    with pytest.raises(KeyError, match="unknown profile 'nope'"):
        ps.get("nope")
