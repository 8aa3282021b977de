"""Write the SNMP fixtures of this directory: an SDH element, an IPRAN router and a CPE, each healthy
(``*-before.snmprec``) and faulted (``*-after.snmprec``), plus ``garbage.snmprec``.

Values follow the MIBs' definitions (RFC numbers next to each table); names follow the lab's
conventions (config/lab/inventory: SDH ports ``<slot>-<board>-<port>``, PWs ``PW-<vcid>``, TE
tunnels ``TE-<from>-<to>-NN``). Run ``python tests/data/snmp/make_fixtures.py`` after editing; the
files are committed, tests only read them.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

Rec = tuple[str, str, str]


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def write(name: str, records: list[Rec]) -> None:
    seen: dict[str, Rec] = {}
    for rec in records:
        seen[rec[0]] = rec
    lines = [f"{o}|{t}|{v}" for o, t, v in sorted(seen.values(), key=lambda r: _key(r[0]))]
    (HERE / name).write_text("\n".join(lines) + "\n", encoding="ascii")


def i(oid: str, value: int) -> Rec:
    return (oid, "2", str(value))


def s(oid: str, text: str) -> Rec:
    if text.isascii() and text.isprintable() and text == text.strip() and "|" not in text:
        return (oid, "4", text)
    return (oid, "4x", text.encode().hex())


def x(oid: str, raw: bytes) -> Rec:
    return (oid, "4x", raw.hex())


def o(oid: str, value: str) -> Rec:
    return (oid, "6", value)


def t(oid: str, ticks: int) -> Rec:
    return (oid, "67", str(ticks))


def system(descr: str, object_id: str, name: str, uptime: int) -> list[Rec]:
    return [
        s("1.3.6.1.2.1.1.1.0", descr),
        o("1.3.6.1.2.1.1.2.0", object_id),
        t("1.3.6.1.2.1.1.3.0", uptime),
        s("1.3.6.1.2.1.1.5.0", name),
    ]


IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"


def interface(index: int, name: str, if_type: int, admin: int, oper: int) -> list[Rec]:
    """IF-MIB ifTable/ifXTable (RFC 2863): ifDescr, ifType, ifAdminStatus, ifOperStatus, ifName."""
    return [
        i(f"{IF}.1.{index}", index),
        s(f"{IF}.2.{index}", name),
        i(f"{IF}.3.{index}", if_type),
        i(f"{IF}.7.{index}", admin),
        i(f"{IF}.8.{index}", oper),
        s(f"{IFX}.1.{index}", name),
    ]


ENT = "1.3.6.1.2.1.47.1.1.1.1"


def entity(index: int, descr: str, parent: int, klass: int, name: str) -> list[Rec]:
    """ENTITY-MIB entPhysicalTable (RFC 6933): Descr, ContainedIn, Class, Name."""
    return [
        s(f"{ENT}.2.{index}", descr),
        i(f"{ENT}.4.{index}", parent),
        i(f"{ENT}.5.{index}", klass),
        s(f"{ENT}.7.{index}", name),
    ]


def alias(entity_index: int, if_index: int) -> Rec:
    """ENTITY-MIB entAliasMappingIdentifier.<entPhysicalIndex>.0 = ifIndex.<n>."""
    return o(f"1.3.6.1.2.1.47.1.3.2.1.2.{entity_index}.0", f"1.3.6.1.2.1.2.2.1.1.{if_index}")


def ent_state(index: int, admin: int, oper: int, alarm_bits: bytes) -> list[Rec]:
    """ENTITY-STATE-MIB entStateTable (RFC 4268): Admin(4 unlocked), Oper(3 enabled/2 disabled), Alarm BITS."""
    base = "1.3.6.1.2.1.131.1.1.1"
    return [
        i(f"{base}.2.{index}", admin),
        i(f"{base}.3.{index}", oper),
        x(f"{base}.5.{index}", alarm_bits),
        i(f"{base}.4.{index}", 3),
    ]


def sensor(index: int, kind: int, scale: int, precision: int, value: int, status: int = 1) -> list[Rec]:
    """ENTITY-SENSOR-MIB entPhySensorTable (RFC 3433): Type, Scale, Precision, Value, OperStatus."""
    base = "1.3.6.1.2.1.99.1.1.1"
    return [
        i(f"{base}.1.{index}", kind),
        i(f"{base}.2.{index}", scale),
        i(f"{base}.3.{index}", precision),
        i(f"{base}.4.{index}", value),
        i(f"{base}.5.{index}", status),
    ]


# -- SDH element: Huawei OptiX OSN 3500 (an SDH ADM exposing the standard SONET-MIB) -----------

SDH_PORTS = [(1101, "11-SL16-1"), (1201, "12-SL16-1"), (601, "6-SLQ1-1")]
SDH_PATHS = [
    (110101, "11-SL16-1:AU4-1"),
    (110102, "11-SL16-1:AU4-2"),
    (120101, "12-SL16-1:AU4-1"),
    (120102, "12-SL16-1:AU4-2"),
]
SDH_VTS = [
    (11010101, "11-SL16-1:AU4-1:TU12-1"),
    (11010102, "11-SL16-1:AU4-1:TU12-2"),
    (12010101, "12-SL16-1:AU4-1:TU12-1"),
    (12010102, "12-SL16-1:AU4-1:TU12-2"),
]
SDH_BOARDS = [(6, "6-SLQ1"), (9, "9-GXCSA"), (10, "10-GXCSA"), (11, "11-SL16"), (12, "12-SL16"), (14, "14-EFS8")]


def sdh(after: bool) -> list[Rec]:
    out = system(
        "Huawei OptiX OSN 3500 V100R010C03SPC200",
        "1.3.6.1.4.1.2011.2.25.3.40",
        "SDH-CEN",
        862_341_200 if not after else 862_401_200,
    )
    for index, name in SDH_PORTS:
        out += interface(index, name, 39, 1, 2 if after and index == 1101 else 1)  # sonet(39)
    for index, name in SDH_PATHS:
        out += interface(index, name, 50, 1, 1)  # sonetPath(50)
    for index, name in SDH_VTS:
        out += interface(index, name, 51, 1, 1)  # sonetVT(51)
    out += interface(1401, "14-EFS8-1", 6, 1, 2 if after else 1)  # ethernetCsmacd
    out += interface(1402, "14-EFS8-2", 6, 2, 2)  # shut by the operator
    # SONET-MIB (RFC 3592) current status, sums of flags:
    #   section 1 noDefect 2 LOS 4 LOF; line 1 noDefect 2 AIS 4 RDI;
    #   path 1 noDefect 2 STS-LOP 4 STS-AIS 8 STS-RDI 16 unequipped 32 signal label mismatch;
    #   VT 1 noDefect 2 LOP 4 path AIS 8 path RDI 16 RFI 32 unequipped 64 signal label mismatch.
    section = {1101: 6, 1201: 1, 601: 1} if after else dict.fromkeys((1101, 1201, 601), 1)
    line = {1101: 1, 1201: 2, 601: 4} if after else dict.fromkeys((1101, 1201, 601), 1)
    path = {110101: 4, 110102: 2, 120101: 8, 120102: 48} if after else dict.fromkeys(dict(SDH_PATHS), 1)
    vt = {11010101: 4, 11010102: 2, 12010101: 8, 12010102: 1} if after else dict.fromkeys(dict(SDH_VTS), 1)
    for index, value in section.items():
        out.append(i(f"1.3.6.1.2.1.10.39.1.2.1.1.1.{index}", value))
    for index, value in line.items():
        out.append(i(f"1.3.6.1.2.1.10.39.1.3.1.1.1.{index}", value))
    for index, value in path.items():
        out += [i(f"1.3.6.1.2.1.10.39.2.1.1.1.1.{index}", 3), i(f"1.3.6.1.2.1.10.39.2.1.1.1.2.{index}", value)]
    for index, value in vt.items():
        out += [i(f"1.3.6.1.2.1.10.39.3.1.1.1.1.{index}", 2), i(f"1.3.6.1.2.1.10.39.3.1.1.1.2.{index}", value)]
    # ENTITY-MIB: subrack 1, boards in their slots, optical ports on the line boards, DOM sensors.
    out += entity(1, "OptiX OSN 3500 subrack", 0, 3, "subrack 1")
    for slot, name in SDH_BOARDS:
        out += entity(slot, f"{name} board", 1, 9, name)
    for index, name in SDH_PORTS:
        board = index // 100
        out += entity(index, "STM-N optical port", board, 10, name)
        out.append(alias(index, index))
        out += entity(index * 100 + 99, f"{name} RX power sensor", index, 8, f"{name} RX Power")
        out += entity(index * 100 + 98, f"{name} TX power sensor", index, 8, f"{name} TX Power")
    out += entity(1100, "11-SL16 board temperature sensor", 11, 8, "11-SL16 Temperature")
    # ENTITY-STATE-MIB: EntityAlarmStatus BITS, bit 2 critical = 0x20, bit 3 major = 0x10, bit 4 minor = 0x08.
    for slot, _ in SDH_BOARDS:
        oper, bits = 3, b"\x00"
        if after and slot == 14:
            oper = 2  # 14-EFS8 failed: operationally disabled
        if after and slot == 10:
            bits = b"\x20"  # 10-GXCSA reports a critical alarm while still enabled
        if after and slot == 6:
            bits = b"\x08"  # 6-SLQ1 reports only a minor alarm: no BOARD_FAULT
        out += ent_state(slot, 4, oper, bits)
    # ENTITY-SENSOR-MIB receive power, three encodings:
    #   11-SL16-1: dBm(14), units(9), precision 1 -> -15.2 dBm; after: -40.0 dBm (fibre cut)
    #   12-SL16-1: watts(6), micro(7), precision 1 -> 25.1 µW = -16.0 dBm; after 1.2 µW = -29.2 dBm
    #   6-SLQ1-1:  watts(6), micro(7), precision 0 -> 400 µW = -3.98 dBm; after 1300 µW = +1.14 dBm
    out += sensor(110199, 14, 9, 1, -400 if after else -152)
    out += sensor(120199, 6, 7, 1, 12 if after else 251)
    out += sensor(60199, 6, 7, 0, 1300 if after else 400)
    out += sensor(110198, 14, 9, 1, 12)  # TX power: not judged
    out += sensor(120198, 14, 9, 1, 10)
    out += sensor(60198, 14, 9, 1, -50)
    out += sensor(1100, 8, 9, 0, 41)  # board temperature: not a power sensor
    return out


# -- IPRAN router: IP Infusion OcNOS cell-site gateway (standard MPLS MIBs) ---------------------


def _ip(text: str) -> int:
    a, b, c, d = (int(p) for p in text.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def ipran(after: bool) -> list[Rec]:
    out = system(
        "Hardware Model:UFI_S9510-28DC, Software version: OcNOS,6.6.1.165",
        "1.3.6.1.4.1.36673.100.1.2.1.1.2",
        "ATN-WES",
        79_509_000 if not after else 79_569_000,
    )
    out += interface(5001, "xe1", 6, 1, 1)  # uplink to AGG-CEN
    out += interface(5002, "xe2", 6, 1, 2 if after else 1)  # uplink to ATN-RIV
    out += interface(5005, "ge5", 6, 1, 1)  # customer attachment circuit
    out += interface(5006, "ge6", 6, 2, 2)  # spare, shut
    out += interface(100001, "po1", 161, 1, 1)  # LAG
    out += interface(1, "lo", 24, 1, 1)  # loopback: not a port resource
    # ENTITY-MIB + ENTITY-SENSOR-MIB: DOM receive power of the two uplinks.
    #   xe1: dBm(14), units(9), precision 2 -> -5.12 dBm
    #   xe2: watts(6), micro(7), precision 1 -> 87.3 µW = -10.59 dBm; after: 0 W, no light (fibre cut)
    out += entity(1, "UFI S9510-28DC chassis", 0, 3, "chassis")
    for index, name in ((5001, "xe1"), (5002, "xe2")):
        out += entity(index, "10G SFP+ port", 1, 10, name)
        out.append(alias(index, index))
        out += entity(index * 100 + 99, "SFP Rx power", index, 8, f"{name} Rx Power")
    out += sensor(500199, 14, 9, 2, -512)
    out += sensor(500299, 6, 7, 1, 0 if after else 873)
    # BFD-STD-MIB bfdSessTable (RFC 7331): AdminStatus(9) 1 enabled 3 adminDown; State(11) IANAbfdSessStateTC
    # 1 adminDown 2 down 3 init 4 up; Interface(18); DstAddrType(21) ipv4(1); DstAddr(22) 4 octets.
    bfd = "1.3.6.1.2.1.222.1.2.1"
    for index, admin, state, ifindex, dst in (
        (1, 1, 4, 5001, "10.0.12.2"),
        (2, 1, 2 if after else 4, 5002, "10.0.13.2"),
        (3, 3, 1, 5006, "10.0.14.2"),
    ):
        out += [
            i(f"{bfd}.9.{index}", admin),
            i(f"{bfd}.11.{index}", state),
            i(f"{bfd}.18.{index}", ifindex),
            i(f"{bfd}.21.{index}", 1),
            x(f"{bfd}.22.{index}", bytes(int(p) for p in dst.split("."))),
        ]
    # MPLS-TE-STD-MIB mplsTunnelTable (RFC 3812), index Index.Instance.IngressLSRId.EgressLSRId:
    # Name(5), AdminStatus(34) 1 up 2 down, OperStatus(35) 1 up 2 down ... 7 lowerLayerDown.
    te = "1.3.6.1.2.1.10.166.3.2.2.1"
    me = _ip("10.255.0.21")
    for tunnel, instance, name, egress, admin, oper in (
        (1, 0, "TE-ATNWES-AGGCEN-01", "10.255.0.1", 1, 1),
        (1, 1, "TE-ATNWES-AGGCEN-01", "10.255.0.1", 1, 1),
        (2, 0, "TE-ATNWES-AGGEAS-01", "10.255.0.2", 1, 2 if after else 1),
        (2, 3, "TE-ATNWES-AGGEAS-01", "10.255.0.2", 1, 2 if after else 1),
        (3, 0, "TE-ATNWES-ATNXC-01", "10.255.0.29", 2, 2),
    ):
        index = f"{tunnel}.{instance}.{me}.{_ip(egress)}"
        out += [s(f"{te}.5.{index}", name), i(f"{te}.34.{index}", admin), i(f"{te}.35.{index}", oper)]
    # PW-STD-MIB pwTable (RFC 5601): pwID(12), pwName(32), pwAdminStatus(37), pwOperStatus(38) PwOperStatusTC.
    pw = "1.3.6.1.2.1.10.246.1.2.1"
    for index, vcid, name, oper in ((1, 20021, "bank-branch", 1), (2, 20061, "pgov-l3vpn-access", 7 if after else 1)):
        out += [
            i(f"{pw}.12.{index}", vcid),
            s(f"{pw}.32.{index}", name),
            i(f"{pw}.37.{index}", 1),
            i(f"{pw}.38.{index}", oper),
        ]
    out.append(("1.3.6.1.2.1.10.246.1.1.0", "66", "3"))  # pwIndexNext
    # MPLS-L3VPN-STD-MIB mplsL3VpnVrfTable (RFC 4382), index = VRF name (length + octets):
    # RD(4), OperStatus(6) 1 up 2 down, ConfAdminStatus(14) 1 up.
    vrf = "1.3.6.1.2.1.10.166.11.1.2.2.1"
    for name, rd, oper in (("CUST-PGOV", "65000:100", 2 if after else 1), ("INTERNET", "65000:1", 1)):
        index = ".".join([str(len(name)), *(str(b) for b in name.encode())])
        out += [s(f"{vrf}.4.{index}", rd), i(f"{vrf}.6.{index}", oper), i(f"{vrf}.14.{index}", 1)]
    return out


# -- CPE: Huawei AR169F at the customer premises (IF-MIB, sysUpTime, WAN SFP optics) -----------


def cpe(after: bool) -> list[Rec]:
    out = system(
        "Huawei AR169F Huawei Versatile Routing Platform Software VRP (R) software,Version 5.170 "
        "(AR160 V200R009C00SPC500) Copyright (C) 2011-2018 Huawei Technologies Co., Ltd",
        "1.3.6.1.4.1.2011.2.224.62",
        "CPE-BANK-BR",
        89_246_459 if not after else 89_306_459,
    )
    for n in range(4):  # LAN ports; GE0/0/3 is shut
        out += interface(3 + n, f"GigabitEthernet0/0/{n}", 6, 2 if n == 3 else 1, 2 if n == 3 else 1)
    out += interface(7, "GigabitEthernet0/0/4", 6, 1, 2 if after else 1)  # WAN (SFP) to ATN
    out += interface(11, "Dialer1", 23, 1, 1)
    out += interface(12, "Vlanif1", 136, 1, 1)
    out += interface(2, "NULL0", 1, 1, 1)
    # ENTITY-MIB and HUAWEI-ENTITY-EXTENT-MIB hwOpticalModuleInfoTable: the AR reports 0.01 dBm;
    # hwEntityOpticalMode 1 notSupported for electrical ports (0/0 power), 2 singleMode.
    out += entity(9, "AR169F mainboard", 0, 9, "AR169F")
    for n, index in enumerate((14, 78, 142, 206, 270)):
        out += entity(index, "Ethernet port", 9, 10, f"GigabitEthernet0/0/{n}")
        out.append(alias(index, 3 + n))
        optical = index == 270
        rx = (-4000 if after else -849) if optical else 0
        base = "1.3.6.1.4.1.2011.5.25.31.1.1.3.1"
        out += [
            i(f"{base}.1.{index}", 2 if optical else 1),
            i(f"{base}.8.{index}", rx),
            i(f"{base}.9.{index}", -575 if optical else 0),
        ]
    return out


# -- garbage: the IPRAN router answering with wrong types and undecodable bytes -----------------


def garbage() -> list[Rec]:
    out = ipran(after=True)
    bfd = "1.3.6.1.2.1.222.1.2.1"
    te = "1.3.6.1.2.1.10.166.3.2.2.1"
    me = _ip("10.255.0.21")
    out += [
        s(f"{IF}.8.5005", "up"),  # ifOperStatus as a string
        x(f"{IFX}.1.5001", b"\xff\xfe\x00xe"),  # ifName not UTF-8 (ifDescr still names it)
        x(f"{IF}.2.5001", b"\xc3\x28"),  # ... and ifDescr not UTF-8 either
        i(f"{bfd}.11.1", 99),  # bfdSessState out of its enum
        o(f"{te}.35.1.0.{me}.{_ip('10.255.0.1')}", "1.3.6.1"),  # mplsTunnelOperStatus as an OID
        ("1.3.6.1.2.1.10.246.1.2.1.38.1", "70", "18446744073709551615"),  # pwOperStatus as a Counter64
        ("1.3.6.1.2.1.1.4.0", "4x", "zz"),  # unreadable lines: the parser reports them
        ("1.3.6.1.2.1.1.6.0", "99", "where"),
    ]
    return out


def main() -> None:
    write("sdh-before.snmprec", sdh(False))
    write("sdh-after.snmprec", sdh(True))
    write("ipran-before.snmprec", ipran(False))
    write("ipran-after.snmprec", ipran(True))
    write("cpe-before.snmprec", cpe(False))
    write("cpe-after.snmprec", cpe(True))
    write("garbage.snmprec", garbage())


if __name__ == "__main__":
    main()
