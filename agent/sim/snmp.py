"""SNMP data of the lab elements: one ``.snmprec`` recording per element, from the lab network and
its faults, in the format snmpsim serves (``OID|TAG|VALUE``, sorted by OID).

The values follow the MIBs (RFC numbers next to each group) and what the agent's profiles read
(``config/profiles``): a dark STM-N port has sonetSectionCurrentStatus LOS and no light, a dark
Ethernet port ifOperStatus down, a trail behind a failure AIS on its path interface, a failed board
entStateOper disabled with a critical alarm, a PW over a failed hop down, and so on.

:func:`write_recording` replaces a file only when its content changes, atomically, and moves its
modification time forward by at least a second: snmpsim re-reads a recording when its mtime (in
whole seconds) changes, so a rewrite within the same second must still be seen.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from agent.sim.faults import Faults
from agent.sim.labnet import ETHERNET_KINDS, SONET_KINDS, LabNetwork, SimDevice, SimPort, stable_fraction

Rec = tuple[str, str, str]

IF = "1.3.6.1.2.1.2.2.1"
IFX = "1.3.6.1.2.1.31.1.1.1"
ENT = "1.3.6.1.2.1.47.1.1.1.1"
ALIAS = "1.3.6.1.2.1.47.1.3.2.1.2"
ENT_STATE = "1.3.6.1.2.1.131.1.1.1"
SENSOR = "1.3.6.1.2.1.99.1.1.1"
SONET_SECTION = "1.3.6.1.2.1.10.39.1.2.1.1.1"
SONET_LINE = "1.3.6.1.2.1.10.39.1.3.1.1.1"
SONET_PATH = "1.3.6.1.2.1.10.39.2.1.1.1"
SONET_VT = "1.3.6.1.2.1.10.39.3.1.1.1"
HW_OPTICAL = "1.3.6.1.4.1.2011.5.25.31.1.1.3.1"
HW_PW = "1.3.6.1.4.1.2011.5.25.119.4.1.1.1.1"
PW_STD = "1.3.6.1.2.1.10.246.1.2.1"
BFD = "1.3.6.1.2.1.222.1.2.1"
MPLS_TE = "1.3.6.1.2.1.10.166.3.2.2.1"
L3VPN_VRF = "1.3.6.1.2.1.10.166.11.1.2.2.1"

IF_TYPE = {"e1": 18, "t1": 18, "e3": 30, **dict.fromkeys(SONET_KINDS, 39), **dict.fromkeys(ETHERNET_KINDS, 6)}
"""IANAifType: ds1 18, ds3 30, sonet 39, ethernetCsmacd 6; anything else 'other' (1)."""
SONET_PATH_TYPE, SONET_VT_TYPE = 50, 51
UP, DOWN = 1, 2

CHASSIS = 1
BOARD_BASE = 100
PORT_BASE = 10000
SENSOR_BASE = 200000


def _i(oid: str, value: int) -> Rec:
    return (oid, "2", str(value))


def _s(oid: str, text: str) -> Rec:
    if text.isascii() and text.isprintable() and text == text.strip() and "|" not in text:
        return (oid, "4", text)
    return (oid, "4x", text.encode("utf-8").hex())


def _x(oid: str, raw: bytes) -> Rec:
    return (oid, "4x", raw.hex())


def _o(oid: str, value: str) -> Rec:
    return (oid, "6", value)


def _ip_int(address: str) -> int:
    return int(ipaddress.IPv4Address(address))


class Recorder:
    """The records of the lab elements under some faults at some time."""

    def __init__(self, net: LabNetwork, faults: Faults, now: datetime, boots: dict[str, datetime]) -> None:
        self.net = net
        self.faults = faults
        self.now = now
        self.boots = boots

    def uptime_at_epoch(self, device: str) -> timedelta:
        """How long the element had been up when the lab first started (fixed per element)."""
        span = self.net.catalogue.uptime_days
        return timedelta(days=span.min + (span.max - span.min) * stable_fraction("uptime", device))

    def uptime_ticks(self, device: str) -> int:
        """sysUpTime (hundredths of a second): since the element's boot, else the fixed one."""
        boot = self.boots.get(device)
        if boot is None:
            return int(self.uptime_at_epoch(device).total_seconds() * 100)
        return max(0, int((self.now - boot).total_seconds() * 100))

    # -- groups -----------------------------------------------------------------------------------

    def records(self, device: str) -> list[Rec]:
        sd = self.net.devices[device]
        dev = sd.device
        site = self.net.inventory.sites.get(dev.site)
        out: list[Rec] = [
            _s("1.3.6.1.2.1.1.1.0", sd.platform.sys_descr),
            _o("1.3.6.1.2.1.1.2.0", sd.platform.sys_object_id),
            ("1.3.6.1.2.1.1.3.0", "67", str(self.uptime_ticks(device) % 2**32)),
            _s("1.3.6.1.2.1.1.4.0", "Jincheng NOC <noc@jincheng.example>"),
            _s("1.3.6.1.2.1.1.5.0", dev.name),
            _s("1.3.6.1.2.1.1.6.0", site.name if site is not None else dev.site),
        ]
        mibs = set(sd.platform.mibs)
        groups = {
            "if": self._interfaces,
            "sonet": self._sonet,
            "entity": self._entity,
            "ent_state": self._ent_state,
            "ent_sensor": self._ent_sensor,
            "hw_optical": self._hw_optical,
            "hw_pw": self._hw_pw,
            "pw_std": self._pw_std,
            "bfd": self._bfd,
            "mpls_te": self._mpls_te,
            "l3vpn": self._l3vpn,
        }
        for name, group in groups.items():
            if name in mibs:
                out += group(sd)
        return out

    def _oper(self, sd: SimDevice, sp: SimPort) -> int:
        if not sp.in_service:
            return DOWN
        return DOWN if self.net.port_dark(sd.id, sp.name, self.faults) else UP

    def _interfaces(self, sd: SimDevice) -> list[Rec]:
        """IF-MIB (RFC 2863) ifTable + ifXTable."""
        out: list[Rec] = []
        for sp in sd.ports.values():
            admin = UP if sp.in_service else DOWN
            out += self._if_row(sp.if_index, sp.name, IF_TYPE.get(sp.kind, 1), admin, self._oper(sd, sp))
        for tp in sd.trails:
            path = self.net.path_of(tp)
            dark = self.net.port_dark(sd.id, tp.port, self.faults)
            ais = self.net.trail_ais(tp, path, self.faults)
            oper = DOWN if dark or ais else UP
            out += self._if_row(tp.if_index, tp.name, SONET_VT_TYPE if tp.low_order else SONET_PATH_TYPE, UP, oper)
        return out

    @staticmethod
    def _if_row(index: int, name: str, if_type: int, admin: int, oper: int) -> list[Rec]:
        return [
            _i(f"{IF}.1.{index}", index),
            _s(f"{IF}.2.{index}", name),
            _i(f"{IF}.3.{index}", if_type),
            _i(f"{IF}.7.{index}", admin),
            _i(f"{IF}.8.{index}", oper),
            _s(f"{IFX}.1.{index}", name),
        ]

    def _sonet(self, sd: SimDevice) -> list[Rec]:
        """SONET-MIB (RFC 3592) current status; sums of flags: section 1 noDefect 2 LOS; line 1
        noDefect; path 1 noDefect 4 STS-AIS; VT 1 noDefect 4 path AIS."""
        out: list[Rec] = []
        for sp in sd.ports.values():
            if sp.kind not in SONET_KINDS:
                continue
            dark = sp.in_service and self.net.port_dark(sd.id, sp.name, self.faults)
            out.append(_i(f"{SONET_SECTION}.{sp.if_index}", 2 if dark else 1))
            out.append(_i(f"{SONET_LINE}.{sp.if_index}", 1))
        for tp in sd.trails:
            ais = self.net.trail_ais(tp, self.net.path_of(tp), self.faults)
            base = SONET_VT if tp.low_order else SONET_PATH
            width = 2 if tp.low_order else 3  # vt2 (VC-12) / sts3c (VC-4)
            out.append(_i(f"{base}.1.{tp.if_index}", width))
            out.append(_i(f"{base}.2.{tp.if_index}", 4 if ais else 1))
        return out

    def _board_name(self, sd: SimDevice, slot: int, board_type: str) -> str:
        if sd.device.kind.value in ("sdh", "mstp"):
            kind = board_type.split()[0]
            return f"{slot}-{kind}"
        return f"Board 0/{slot}"

    def _entity(self, sd: SimDevice) -> list[Rec]:
        """ENTITY-MIB (RFC 6933): chassis, boards (module 9), ports (port 10), alias -> ifIndex."""
        dev = sd.device
        out: list[Rec] = [
            _s(f"{ENT}.2.{CHASSIS}", f"{dev.platform} chassis"),
            _i(f"{ENT}.4.{CHASSIS}", 0),
            _i(f"{ENT}.5.{CHASSIS}", 3),
            _s(f"{ENT}.7.{CHASSIS}", f"{dev.platform}"),
        ]
        boards = {b.slot: b for b in dev.boards}
        for slot, board in boards.items():
            idx = BOARD_BASE + slot
            out += [
                _s(f"{ENT}.2.{idx}", f"{board.type} board"),
                _i(f"{ENT}.4.{idx}", CHASSIS),
                _i(f"{ENT}.5.{idx}", 9),
                _s(f"{ENT}.7.{idx}", self._board_name(sd, slot, board.type)),
            ]
        for sp in sd.ports.values():
            idx = PORT_BASE + sp.if_index
            parent = BOARD_BASE + sp.board if sp.board in boards else CHASSIS
            descr = "optical port" if sp.optical else "port"
            out += [
                _s(f"{ENT}.2.{idx}", f"{sp.kind.upper()} {descr}"),
                _i(f"{ENT}.4.{idx}", parent),
                _i(f"{ENT}.5.{idx}", 10),
                _s(f"{ENT}.7.{idx}", sp.name),
                _o(f"{ALIAS}.{idx}.0", f"{IF}.1.{sp.if_index}"),
            ]
            if "ent_sensor" in sd.platform.mibs and sp.optical:
                sensor = SENSOR_BASE + sp.if_index
                out += [
                    _s(f"{ENT}.2.{sensor}", f"{sp.name} Rx power sensor"),
                    _i(f"{ENT}.4.{sensor}", idx),
                    _i(f"{ENT}.5.{sensor}", 8),
                    _s(f"{ENT}.7.{sensor}", f"{sp.name} Rx Power"),
                ]
        return out

    def _ent_state(self, sd: SimDevice) -> list[Rec]:
        """ENTITY-STATE-MIB (RFC 4268): admin unlocked(4); oper enabled(3) / disabled(2); alarm BITS
        (bit 2 critical = 0x20)."""
        out: list[Rec] = []
        for board in sd.device.boards:
            idx = BOARD_BASE + board.slot
            failed = f"{sd.id}:{board.slot}" in self.faults.boards_down
            out += [
                _i(f"{ENT_STATE}.2.{idx}", 4),
                _i(f"{ENT_STATE}.3.{idx}", 2 if failed else 3),
                _i(f"{ENT_STATE}.4.{idx}", 3),
                _x(f"{ENT_STATE}.5.{idx}", b"\x20" if failed else b"\x00"),
            ]
        return out

    def _rx(self, sd: SimDevice, sp: SimPort) -> float:
        if self.net.port_dark(sd.id, sp.name, self.faults):
            return self.net.catalogue.optical.no_light_dbm
        return self.net.rx_dbm(sd.id, sp)

    def _ent_sensor(self, sd: SimDevice) -> list[Rec]:
        """ENTITY-SENSOR-MIB (RFC 3433): dBm(14), units(9), precision 1, status ok(1)."""
        out: list[Rec] = []
        for sp in sd.ports.values():
            if not sp.optical:
                continue
            idx = SENSOR_BASE + sp.if_index
            out += [
                _i(f"{SENSOR}.1.{idx}", 14),
                _i(f"{SENSOR}.2.{idx}", 9),
                _i(f"{SENSOR}.3.{idx}", 1),
                _i(f"{SENSOR}.4.{idx}", round(self._rx(sd, sp) * 10)),
                _i(f"{SENSOR}.5.{idx}", 1),
            ]
        return out

    def _hw_optical(self, sd: SimDevice) -> list[Rec]:
        """hwOpticalModuleInfoTable by port entity: mode singleMode(2) / notSupported(1); Rx, Tx in
        0.01 dBm; -4000 is no light."""
        out: list[Rec] = []
        for sp in sd.ports.values():
            idx = PORT_BASE + sp.if_index
            if sp.kind not in ETHERNET_KINDS:
                continue
            if not sp.optical:
                out += [_i(f"{HW_OPTICAL}.1.{idx}", 1), _i(f"{HW_OPTICAL}.8.{idx}", 0), _i(f"{HW_OPTICAL}.9.{idx}", 0)]
                continue
            dark = self.net.port_dark(sd.id, sp.name, self.faults)
            rx = -4000 if dark else round(self.net.rx_dbm(sd.id, sp) * 100)
            tx = round((-2.0 - 3 * stable_fraction("tx", sd.id, sp.name)) * 100)
            out += [_i(f"{HW_OPTICAL}.1.{idx}", 2), _i(f"{HW_OPTICAL}.8.{idx}", rx), _i(f"{HW_OPTICAL}.9.{idx}", tx)]
        return out

    def _peer_of(self, sd: SimDevice, pes: tuple[str, str]) -> str:
        other = pes[1] if pes[0] == sd.id else pes[0]
        return self.net.devices[other].loopback or "0.0.0.0"

    def _hw_pw(self, sd: SimDevice) -> list[Rec]:
        """HUAWEI-PWE3-MIB hwPWVcTable, INDEX {hwPWVcID, hwPWVcType ethernet(5)}: PeerAddr, Status
        up(1)/down(2), IfIndex (the attachment circuit)."""
        out: list[Rec] = []
        for pw in sd.pws:
            idx = f"{pw.vcid}.5"
            ac = pw.ac_port.get(sd.id)
            ac_index = sd.ports[ac].if_index if ac in sd.ports else 0
            out += [
                _x(f"{HW_PW}.4.{idx}", ipaddress.IPv4Address(self._peer_of(sd, pw.pes)).packed),
                _i(f"{HW_PW}.5.{idx}", UP if self.net.pw_up(pw, self.faults) else DOWN),
                _i(f"{HW_PW}.15.{idx}", ac_index),
            ]
        return out

    def _pw_std(self, sd: SimDevice) -> list[Rec]:
        """PW-STD-MIB pwTable (RFC 5601): pwID, pwName, pwAdminStatus up, pwOperStatus up(1)/down(2)."""
        out: list[Rec] = []
        for n, pw in enumerate(sd.pws, start=1):
            out += [
                _i(f"{PW_STD}.12.{n}", pw.vcid),
                _s(f"{PW_STD}.32.{n}", f"{pw.path.circuit}-{pw.path.role.value}"),
                _i(f"{PW_STD}.37.{n}", UP),
                _i(f"{PW_STD}.38.{n}", UP if self.net.pw_up(pw, self.faults) else DOWN),
            ]
        if sd.pws:
            out.append(("1.3.6.1.2.1.10.246.1.1.0", "66", str(len(sd.pws) + 1)))
        return out

    def _bfd(self, sd: SimDevice) -> list[Rec]:
        """BFD-STD-MIB bfdSessTable (RFC 7331): admin enabled(1), state up(4)/down(2), interface,
        destination ipv4."""
        out: list[Rec] = []
        for n, b in enumerate(sd.bfd, start=1):
            down = self.net.port_dark(sd.id, b.port, self.faults)
            out += [
                _i(f"{BFD}.9.{n}", 1),
                _i(f"{BFD}.11.{n}", 2 if down else 4),
                _i(f"{BFD}.18.{n}", b.if_index),
                _i(f"{BFD}.21.{n}", 1),
                _x(f"{BFD}.22.{n}", ipaddress.IPv4Address(b.peer_address).packed),
            ]
        return out

    def _mpls_te(self, sd: SimDevice) -> list[Rec]:
        """MPLS-TE-STD-MIB mplsTunnelTable (RFC 3812), index Index.Instance.Ingress.Egress: the
        tunnel (instance 0) and its primary LSP (instance 1), admin up, oper up(1)/down(2)."""
        out: list[Rec] = []
        me = _ip_int(sd.loopback or "0.0.0.0")
        for t in sd.tunnels:
            tail = _ip_int(self.net.devices[t.tail].loopback or "0.0.0.0")
            oper = UP if self.net.tunnel_up(t, self.faults) else DOWN
            for instance in (0, 1):
                idx = f"{t.index}.{instance}.{me}.{tail}"
                out += [
                    _s(f"{MPLS_TE}.5.{idx}", t.name),
                    _i(f"{MPLS_TE}.34.{idx}", UP),
                    _i(f"{MPLS_TE}.35.{idx}", oper),
                ]
        return out

    def _l3vpn(self, sd: SimDevice) -> list[Rec]:
        """MPLS-L3VPN-STD-MIB mplsL3VpnVrfTable (RFC 4382), index = VRF name: RD, oper up(1)/down(2)
        (down when none of the VRF's PWs on this PE is up), admin up."""
        out: list[Rec] = []
        for vrf in sd.vrfs.values():
            raw = vrf.name.encode()
            idx = ".".join([str(len(raw)), *(str(b) for b in raw)])
            up = any(self.net.pw_up(self.net.pws[name], self.faults) for name in vrf.pws)
            out += [
                _s(f"{L3VPN_VRF}.4.{idx}", vrf.rd),
                _i(f"{L3VPN_VRF}.6.{idx}", UP if up else DOWN),
                _i(f"{L3VPN_VRF}.14.{idx}", UP),
            ]
        return out


# -- files ----------------------------------------------------------------------------------------


def _key(oid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in oid.split("."))


def render(records: Iterable[Rec]) -> bytes:
    """The recording text: one line per OID, sorted numerically (snmpsim binary-searches it)."""
    seen: dict[str, Rec] = {}
    for rec in records:
        seen[rec[0]] = rec
    lines = [f"{o}|{t}|{v}" for o, t, v in sorted(seen.values(), key=lambda r: _key(r[0]))]
    return ("\n".join(lines) + "\n").encode("ascii")


SYS_UPTIME_LINE = b"1.3.6.1.2.1.1.3.0|"


def _without_uptime(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\n") if not line.startswith(SYS_UPTIME_LINE)]


def same_but_uptime(path: Path, data: bytes) -> bool:
    """``path`` holds ``data`` except perhaps for sysUpTime.0."""
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        return False
    return _without_uptime(old) == _without_uptime(data)


def write_recording(path: Path, data: bytes) -> bool:
    """Replace ``path`` with ``data`` if it differs; True if written."""
    try:
        old_stat = path.stat()
        if path.read_bytes() == data:
            return False
        old_mtime = old_stat.st_mtime
    except FileNotFoundError:
        old_mtime = 0.0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    new_mtime = max(float(int(os.stat(tmp).st_mtime)), float(int(old_mtime)) + 1.0)
    os.utime(tmp, (new_mtime, new_mtime))
    os.replace(tmp, path)
    return True
