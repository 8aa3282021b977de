"""The CLI side of the lab: what each element answers over SSH/telnet, for the SSH/telnet simulator
(:mod:`agent.sim.ssh`).

:func:`write_config` writes the simulator's ``sim.yaml`` (one entry per element with a CLI
credential set and a ``cli_platform``: its management address and CLI port, user, password
reference, prompt name) and, per element, one output file per command the agent's CLI platforms
(``config/cli/platforms``) send, made from the same lab state as the SNMP recordings
(:mod:`agent.sim.labnet`): a dark port is ``down`` in ``display interface brief`` and raises
``linkDown`` in ``display alarm active verbose``, a PW over a failed hop is ``down`` in ``display
mpls l2vc brief``, an SDH port without light is an ``R_LOS``/``LOS`` record of ``RTRV-ALM-ALL`` ...
Resources carry the names the SNMP profiles give them, so an alarm seen by both is one alarm.

An element that is off or cut off from management accepts the TCP connection and never answers
(the simulator's ``no_banner`` mode): the agent's session times out, as with a real dead element.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from agent.sim.faults import Faults
from agent.sim.labnet import ETHERNET_KINDS, SONET_KINDS, LabNetwork, SimDevice, SimPort, stable_fraction

if TYPE_CHECKING:
    from agent.sim.lab import Lab

PLATFORMS = ("huawei_vrp", "zte_zxros", "tl1")
DEFAULT_PORTS = {"ssh": 22, "telnet": 23}
CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Alarm:
    """One standing alarm of an element, before a platform spells it."""

    kind: str
    """los, link_down, rx_low, pw_down, bfd_down, tunnel_down, board_fault."""
    resource: str
    since: datetime
    extra: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> str:
        return dict(self.extra).get(key, "")


class CliState:
    """The CLI view of one element under some faults (the same facts as its SNMP recording)."""

    def __init__(self, net: LabNetwork, faults: Faults, since: datetime) -> None:
        self.net = net
        self.faults = faults
        self.since = since

    def dark(self, sd: SimDevice, sp: SimPort) -> bool:
        return sp.in_service and self.net.port_dark(sd.id, sp.name, self.faults)

    def board_failed(self, sd: SimDevice, slot: int) -> bool:
        return f"{sd.id}:{slot}" in self.faults.boards_down

    def alarms(self, sd: SimDevice) -> list[Alarm]:
        out: list[Alarm] = []
        t = self.since
        for board in sd.device.boards:
            if self.board_failed(sd, board.slot):
                out.append(Alarm("board_fault", str(board.slot), t, (("type", board.type),)))
        for sp in sd.ports.values():
            if not self.dark(sd, sp):
                continue
            if sp.kind in SONET_KINDS:
                out.append(Alarm("los", sp.name, t, (("kind", sp.kind.upper()),)))
            elif sp.kind in ETHERNET_KINDS:
                out.append(Alarm("link_down", sp.name, t))
            if sp.optical and sp.kind in ETHERNET_KINDS:
                out.append(Alarm("rx_low", sp.name, t))
        for b in sd.bfd:
            if self.net.port_dark(sd.id, b.port, self.faults):
                out.append(
                    Alarm("bfd_down", f"{b.peer_address}@{b.port}", t, (("peer", b.peer_address), ("if", b.port)))
                )
        for tunnel in sd.tunnels:
            if not self.net.tunnel_up(tunnel, self.faults):
                out.append(Alarm("tunnel_down", tunnel.name, t))
        for pw in sd.pws:
            if not self.net.pw_up(pw, self.faults):
                out.append(Alarm("pw_down", pw.name, t, (("vcid", str(pw.vcid)),)))
        return out


# -- Huawei VRP ------------------------------------------------------------------------------------


def _huawei_stamp(t: datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S+08:00")


HUAWEI_ALARMS = {
    "link_down": ("0x8520003", "linkDown", "communications_alarm", "Major"),
    "rx_low": ("0x8130041", "IN_PWR_LOW", "equipment_alarm", "Major"),
    "pw_down": ("0x8130059", "hwPWVcDown", "communications_alarm", "Major"),
    "bfd_down": ("0xC0A0000", "hwBfdSessDown", "communications_alarm", "Critical"),
    "tunnel_down": ("0x10000C", "mplsTunnelDown", "communications_alarm", "Major"),
}
"""A failed board is reported by ``display device`` (Alarm: Abnormal), named by its slot there."""


def _huawei_description(a: Alarm, sd: SimDevice) -> str:
    if a.kind == "link_down":
        return (
            f"The interface status changes. (ifName={a.resource}, AdminStatus=UP, OperStatus=DOWN, "
            f"Reason=The link protocol is down, mainIfname={a.resource})"
        )
    if a.kind == "rx_low":
        return f"The input power of the optical module is too low. (ifName={a.resource}, InputPower=-40.00dBm)"
    if a.kind == "pw_down":
        return f"The status of the PWE3 VC turned DOWN. (VcId={a.get('vcid')}, VcType=Ethernet)"
    if a.kind == "bfd_down":
        return (
            f"The BFD session went Down. (BindIfName={a.get('if')}, PeerIp={a.get('peer')}, "
            "Diagnosis=DetectDown, DownReason=BFD session timeout)"
        )
    return f"The TE tunnel went Down. (TunnelName={a.resource})"


def huawei_outputs(state: CliState, sd: SimDevice) -> dict[str, str]:
    alarms = [a for a in state.alarms(sd) if a.kind in HUAWEI_ALARMS]
    blocks = []
    for n, a in enumerate(alarms, start=1):
        alarm_id, name, kind, severity = HUAWEI_ALARMS[a.kind]
        blocks.append(
            f"Sequence    : {1000 + n}\n"
            f"AlarmId     : {alarm_id:<20}  AlarmName : {name}\n"
            f"AlarmType   : {kind:<20}  Severity  : {severity:<16} State : active\n"
            "RootKindFlag: Independent\n"
            f"StartTime   : {_huawei_stamp(a.since)}\n"
            f"Description : {_huawei_description(a, sd)}\n"
        )
    alarm_text = "\n".join(blocks) if blocks else "Info: There is no alarm information.\n"

    rows = []
    for sp in sd.ports.values():
        if sp.kind not in ETHERNET_KINDS:
            continue
        phy = "*down" if not sp.in_service else ("down" if state.dark(sd, sp) else "up")
        proto = "up" if phy == "up" else "down"
        rows.append(f"{sp.name:<27} {phy:<5} {proto:<9} {'0.01%':>6} {'0.01%':>6} {0:>10} {0:>10}")
    interfaces = (
        "PHY: Physical\n*down: administratively down\n^down: standby\n(l): loopback\n(s): spoofing\n"
        "InUti/OutUti: input utility/output utility\n"
        "Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors\n" + "\n".join(rows) + "\n"
    )

    vcs = []
    up = 0
    for pw in sd.pws:
        ok = state.net.pw_up(pw, state.faults)
        up += ok
        ac = pw.ac_port.get(sd.id, "-")
        ac_up = ac in sd.ports and not state.dark(sd, sd.ports[ac])
        peer = pw.pes[1] if pw.pes[0] == sd.id else pw.pes[0]
        dest = state.net.devices[peer].loopback or "0.0.0.0"
        vcs.append(
            f" *Client Interface     : {ac}\n  Administrator PW     : no\n"
            f"  AC status            : {'up' if ac_up else 'down'}\n"
            f"  VC State             : {'up' if ok else 'down'}\n"
            "  Label state          : 0\n  Token state          : 0\n"
            f"  VC ID                : {pw.vcid}\n  VC Type              : Ethernet\n  session state        : up\n"
            f"  Destination          : {dest}\n  link state           : {'up' if ok else 'down'}\n"
        )
    l2vc = f" Total ldp vc : {len(sd.pws)}     {up} up       {len(sd.pws) - up} down\n\n" + "\n".join(vcs)

    sessions = []
    bfd_up = 0
    for n, b in enumerate(sd.bfd, start=1):
        down = state.net.port_dark(sd.id, b.port, state.faults)
        bfd_up += not down
        sessions.append(
            f"{16384 + n:<10} {16384 + n:<10} {b.peer_address:<15} {'Down' if down else 'Up':<9} "
            f"{'D/IP-IF':<11} {b.port}"
        )
    rule = "-" * 80
    bfd = (
        "S: Static session\nD: Dynamic session\nIP: IP session\nIF: Single-hop session\n"
        f"Total UP/DOWN Session Number : {bfd_up}/{len(sd.bfd) - bfd_up}\n{rule}\n"
        f"Local      Remote     PeerIpAddr      State     Type        InterfaceName\n{rule}\n"
        + "".join(f"{line}\n" for line in sessions)
        + f"{rule}\n"
    )

    optics = []
    for sp in sd.ports.values():
        if sp.kind not in ETHERNET_KINDS or not sp.optical:
            continue
        dark = state.dark(sd, sp)
        rx = state.net.catalogue.optical.no_light_dbm if dark else state.net.rx_dbm(sd.id, sp)
        tx = -2.0 - 3 * stable_fraction("tx", sd.id, sp.name)
        optics.append(
            f"{sp.name:<24} {'DOWN' if dark else 'UP':<7} {'Dual':<7} {'SFP':<9} {'1310nm':<11} "
            f"{rx:.2f}dBm  {tx:.2f}dBm  {'SingleMode':<13} SFP-GE-LX-SM1310"
        )
    wide = "-" * 109
    optical = (
        f"{wide}\nPort                     Status  Duplex  Type      WaveLength  RxPower    TxPower    Mode"
        f"          VendorPN\n{wide}\n" + "".join(f"{line}\n" for line in optics) + f"{wide}\n"
    )

    slots = []
    boards = sorted(sd.device.boards, key=lambda b: b.slot)
    for board in boards:
        failed = state.board_failed(sd, board.slot)
        pid = board.type.split()[0]
        primary = "Master" if board.protected_by is not None and board.slot < board.protected_by else "NA"
        slots.append(
            f"{board.slot:<5} {'-':<6} {pid:<24} {'Present':<8} {'On':<5} {'Registered':<12} "
            f"{'Abnormal' if failed else 'Normal':<9} {primary}"
        )
    if not boards:  # a box without board data (an AR CPE): its main board in slot 0
        model = sd.device.platform.split()[-1]
        slots.append(f"{0:<5} {'-':<6} {model:<24} {'Present':<8} {'On':<5} {'Registered':<12} {'Normal':<9} Master")
    dash = "-" * 91
    device = (
        f"{sd.device.platform.replace(' ', '-')}'s Device status:\n{dash}\n"
        f"Slot  Card   Type                     Online   Power Register     Alarm     Primary\n{dash}\n"
        + "".join(f"{line}\n" for line in slots)
    )
    return {
        "display alarm active verbose": alarm_text,
        "display interface brief": interfaces,
        "display mpls l2vc brief": l2vc,
        "display bfd session all": bfd,
        "display optical-module brief": optical,
        "display device": device,
    }


# -- ZTE ZXROS -------------------------------------------------------------------------------------

ZTE_ALARMS = {
    "link_down": (
        "1200",
        "ETH_LOS",
        "critical",
        "Ethernet port loss of signal, no light received on the optical module",
    ),
    "pw_down": ("2310", "PW_DOWN", "major", "Pseudowire down"),
    "tunnel_down": ("2501", "TUNNEL_DOWN", "major", "RSVP-TE tunnel down, path error received"),
    "bfd_down": ("2601", "BFD_SESSION_DOWN", "major", "BFD session down, detection time expired"),
    "board_fault": ("3001", "BOARD_FAULT", "critical", "Board fault"),
}


def zte_outputs(state: CliState, sd: SimDevice) -> dict[str, str]:
    alarms = [a for a in state.alarms(sd) if a.kind in ZTE_ALARMS]
    sep = "-" * 80
    blocks = [f"Total alarms: {len(alarms)}"]
    for n, a in enumerate(alarms, start=1):
        code, name, level, text = ZTE_ALARMS[a.kind]
        blocks.append(sep)
        blocks += [
            f"Alarm ID      : {1000 + n}",
            f"Alarm code    : {code}",
            f"Alarm name    : {name}",
            f"Alarm level   : {level}",
            f"Raise time    : {_huawei_stamp(a.since)}",
            f"Location      : {a.resource}",
            f"Description   : {text}",
        ]
    if alarms:
        blocks.append(sep)
    alarm_text = "\n".join(blocks) + "\n"

    rows = []
    for sp in sd.ports.values():
        if sp.kind not in ETHERNET_KINDS:
            continue
        admin = "up" if sp.in_service else "down"
        phy = "down" if not sp.in_service or state.dark(sd, sp) else "up"
        bw = {"ge": "1000M", "xge": "10G", "fe": "100M"}.get(sp.kind, "1000M")
        attribute = "optical" if sp.optical else "electric"
        rows.append(f"{sp.name:<23} {attribute:<10} {'Duplex/full':<12} {bw:<5} {admin:<5} {phy:<5} {phy:<5}")
    interfaces = "Interface               Attribute  Mode         BW    Admin Phy   Prot  Description\n" + "".join(
        f"{line}\n" for line in rows
    )

    vcs = []
    for pw in sd.pws:
        peer = pw.pes[1] if pw.pes[0] == sd.id else pw.pes[0]
        dest = state.net.devices[peer].loopback or "0.0.0.0"
        ac = pw.ac_port.get(sd.id, "-")
        status = "UP" if state.net.pw_up(pw, state.faults) else "DOWN"
        vcs.append(f"{ac:<17} {'Ethernet':<26} {dest:<15} {pw.vcid:<10} {status}")
    l2 = (
        "Local intf        Local circuit              Dest address    VC ID      Status\n"
        "----------------- -------------------------- --------------- ---------- ----------\n"
        + "".join(f"{line}\n" for line in vcs)
    )

    tunnels = []
    for t in sd.tunnels:
        up = state.net.tunnel_up(t, state.faults)
        dest = state.net.devices[t.tail].loopback or "0.0.0.0"
        tunnels.append(
            f"Name: {t.name}\n      (Tunnel{t.index}) Destination: {dest}\n  Status:\n"
            f"    Admin: up  Oper: {'up' if up else 'down'}  Path:  {'valid' if up else 'invalid'}  "
            f"Signalling: {'connected' if up else 'Down'}\n"
            f"    Path option: 1, type dynamic (Basis for Setup)\n  Config Parameters:\n    Resv-Style: SE\n"
        )
    return {
        "show alarm current": alarm_text,
        "show interface brief": interfaces,
        "show mpls l2transport vc": l2,
        "show mpls traffic-eng tunnels": "\n".join(tunnels),
    }


# -- TL1 -------------------------------------------------------------------------------------------


def tl1_outputs(state: CliState, sd: SimDevice) -> dict[str, str]:
    records = []
    for a in state.alarms(sd):
        stamp = a.since.astimezone(CST)
        when = f"{stamp:%m-%d},{stamp:%H-%M-%S}"
        if a.kind == "los":
            kind = a.get("kind") or "STM1"
            records.append(f'   "{a.resource},{kind}:CR,LOS,SA,{when},NEND,RCV:\\"Loss of signal\\","')
        elif a.kind == "link_down":
            records.append(f'   "{a.resource},GE:MJ,LOS,SA,{when},NEND,RCV:\\"Ethernet loss of signal\\","')
        elif a.kind == "board_fault":
            board = next((b for b in sd.device.boards if str(b.slot) == a.resource), None)
            aid = f"{a.resource}-{board.type.split()[0]}" if board is not None else a.resource
            records.append(f'   "{aid},EQPT:CR,EQPT,SA,{when},NEND,,:\\"Board failed\\","')
    body = "\n".join(records) + ("\n" if records else "")
    return {"RTRV-ALM-ALL": body, "RTRV-COND-ALL": body}


GENERATORS = {"huawei_vrp": huawei_outputs, "zte_zxros": zte_outputs, "tl1": tl1_outputs}


# -- the simulator's files --------------------------------------------------------------------------


def _password_ref(lab: Lab, ref: str) -> str:
    if ref.startswith("file:") and not Path(ref[5:]).is_absolute():
        return "file:" + str((lab.cfg.base_dir / ref[5:]).resolve())
    return ref


def cli_elements(lab: Lab) -> list[tuple[SimDevice, Any]]:
    """(element, its credential set's cli section) of every element the lab serves over CLI."""
    out = []
    for sd in lab.net.devices.values():
        dev = sd.device
        cset = lab.cfg.daemon.credentials.get(dev.credentials)
        if cset is None or cset.cli is None or dev.cli_platform not in GENERATORS:
            continue
        out.append((sd, cset.cli))
    return out


def write_config(lab: Lab, now: datetime | None = None) -> Path | None:
    """Write ``ssh/sim.yaml`` and every element's outputs for the lab's current state; None when no
    element has a CLI."""
    from agent.sim.config import output_file_name
    from agent.sim.snmp import write_recording

    elements = cli_elements(lab)
    if not elements:
        return None
    root = lab.state_dir / "ssh"
    faults = lab.faults()
    state = CliState(lab.net, faults, now or _since(lab))
    devices = []
    for sd, cli in elements:
        dev = sd.device
        assert dev.cli_platform is not None
        port = cli.port or DEFAULT_PORTS[cli.transport]
        out_dir = root / "outputs" / dev.id
        for command, text in GENERATORS[dev.cli_platform](state, sd).items():
            write_recording(out_dir / output_file_name(command), text.encode("utf-8"))
        devices.append(
            {
                "id": dev.id,
                "platform": dev.cli_platform,
                "transport": cli.transport,
                "listen": f"{dev.mgmt_address}:{port}",
                "hostname": dev.name,
                "username": cli.username,
                "password": _password_ref(lab, cli.password),
                "outputs": f"outputs/{dev.id}",
                "mode": "no_banner" if dev.id in faults.unreachable else "normal",
            }
        )
    config: dict[str, Any] = {"version": 1, "devices": devices}
    if lab.cfg.daemon.secrets_file is not None:
        config["secrets_file"] = str((lab.cfg.base_dir / lab.cfg.daemon.secrets_file).resolve())
    path = root / "sim.yaml"
    text = "# written by `linewatch lab` from the lab inventory and its state; do not edit\n" + yaml.safe_dump(
        config, sort_keys=False
    )
    tmp = path.with_name(".sim.yaml.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _since(lab: Lab) -> datetime:
    """When the faults began: the lab state file's last change (the alarms' StartTime)."""
    try:
        return datetime.fromtimestamp(lab.state_file.stat().st_mtime, tz=CST)
    except FileNotFoundError:
        return datetime.now(CST)
