"""What the simulated elements answer, per platform and state: ``healthy``, ``faulted``, ``unknown``.

The texts are modelled on real captures (``/work/shared/real-devices``: ntc-templates' Huawei VRP
``display interface brief`` / ``display device`` and ZTE ZXCTN ``show interface brief`` / ``show
mpls traffic-eng tunnels``; the BTI 7200 ``RTRV-ALM-ALL`` response) and on the documented formats
of the commands no public capture exists for. The faults:

* VRP ``VRP-1``: port GigabitEthernet0/2/1 down (``display interface brief`` and a ``linkDown``
  alarm: one LINK_DOWN seen by two commands) and pseudowire 20021 down (``display mpls l2vc
  brief`` and ``hwPWVcDown``);
* ZTE ``ZTE-1``: xgei-1/1/0/2 without light (ETH_LOS alarm and the port down) and PW 20021 down;
* TL1 ``TL1-1``: LOS on the STM-16 port 11-SL16-1 and AU-AIS on its first VC-4.

``unknown`` is ``healthy`` plus a line in an unknown format in one command's output (VRP and ZTE:
the interface list; TL1: the condition list), and for VRP/ZTE the alarms of ``faulted`` so a test
sees the other scopes still update.
"""

from __future__ import annotations

from pathlib import Path

from agent.sim.config import output_file_name

REAL = Path("/work/shared/real-devices")

# -- Huawei VRP ---------------------------------------------------------------------------------

VRP_LEGEND = """PHY: Physical
*down: administratively down
^down: standby
(l): loopback
(s): spoofing
(E): E-Trunk down
(b): BFD down
(B): Bit-error-detection down
(e): ETHOAM down
(d): Dampening Suppressed
InUti/OutUti: input utility/output utility
Interface                   PHY   Protocol  InUti OutUti   inErrors  outErrors"""


def _vrp_interfaces(ge021: str, extra: str = "") -> str:
    return f"""{VRP_LEGEND}
Eth-Trunk1                  up    up           0%  0.38%          0          0
  GigabitEthernet0/2/0      up    up           0%  0.04%          0          0
  GigabitEthernet0/2/1      {ge021:<5} {ge021:<5}        0%  1.66%          0          0
GigabitEthernet0/2/2(10G)   up    up        0.69% 14.30%          0          0
GigabitEthernet0/2/2.100    up    up        0.69% 13.57%          0          0
GigabitEthernet0/2/3        *down down         0%     0%          0          0
LoopBack0                   up    up(s)        0%     0%          0          0
NULL0                       up    up(s)        0%     0%          0          0
{extra}"""


def _vrp_l2vc(state: str) -> str:
    up, down = (1, 0) if state == "up" else (0, 1)
    return f""" Total ldp vc : 1     {up} up       {down} down

 *Client Interface     : GigabitEthernet0/2/2.100
  Administrator PW     : no
  AC status            : up
  VC State             : {state}
  Label state          : 0
  Token state          : 0
  VC ID                : 20021
  VC Type              : VLAN
  session state        : {state}
  Destination          : 10.219.220.8
  link state           : {state}
"""


VRP_BFD = """S: Static session
D: Dynamic session
IP: IP session
IF: Single-hop session
(w): State in WTR
(*): State is invalid
Total UP/DOWN Session Number : 1/0
--------------------------------------------------------------------------------
Local      Remote     PeerIpAddr      State     Type        InterfaceName
--------------------------------------------------------------------------------
16385      16385      10.219.220.1    Up        D/IP-IF      GE0/2/0
--------------------------------------------------------------------------------
"""

_RULE = "-" * 109
VRP_OPTICAL = f"""{_RULE}
Port              Status  Duplex  Type      WaveLength  RxPower    TxPower    Mode          VendorPN
{_RULE}
GE0/2/0           UP      Dual    SFP       1310nm      -2.90dBm   -5.12dBm   SingleMode    SFP-GE-LX-SM1310
GE0/2/1           UP      Dual    SFP       1310nm      -6.84dBm   -5.40dBm   SingleMode    SFP-GE-LX-SM1310
{_RULE}
"""

VRP_DEVICE = """ATN910C-B's Device status:
-------------------------------------------------------------------------------------------
Slot  Card   Type                     Online   Power Register     Alarm     Primary
-------------------------------------------------------------------------------------------
1     -      ANG1CXPA                 Present  On    Registered   Normal    Master
2     -      ANG2EX2A                 Present  On    Registered   Normal    NA
PWR1  -      PIU                      Present  On    Registered   Normal    NA
FAN1  -      FAN                      Present  On    Registered   Normal    NA
"""

VRP_ALARMS = """Sequence    : 1383
AlarmId     : 0x8520003             AlarmName : linkDown
AlarmType   : communications_alarm  Severity  : Major            State : active
RootKindFlag: Independent
StartTime   : 2026-11-21 14:03:07+08:00
Description : The interface status changes. (ifName=GigabitEthernet0/2/1, AdminStatus=UP, OperStatus=DOWN, \
Reason=The link protocol is down, mainIfname=GigabitEthernet0/2/1)

Sequence    : 1384
AlarmId     : 0x8130059             AlarmName : hwPWVcDown
AlarmType   : communications_alarm  Severity  : Major            State : active
RootKindFlag: nonRootCause
StartTime   : 2026-11-21 14:03:09+08:00
Description : The status of the PWE3 VC turned DOWN. (VcId=20021, VcType=VLAN, PeerAddress=10.219.220.8, \
HWL2VpnStateChangeReason=LDP session was Down, InterfaceName=GigabitEthernet0/2/2.100)
"""


def vrp(state: str) -> dict[str, str]:
    faulted = state in ("faulted", "unknown")
    extra = "Interface state table version 2 (checksum 0x5e1f) -- unrecognised\n" if state == "unknown" else ""
    outputs = {
        "display alarm active verbose": VRP_ALARMS if faulted else "Info: There is no alarm information.",
        "display interface brief": _vrp_interfaces("down" if state == "faulted" else "up", extra),
        "display mpls l2vc brief": _vrp_l2vc("down" if faulted else "up"),
        "display bfd session all": VRP_BFD,
        "display optical-module brief": VRP_OPTICAL,
        "display device": VRP_DEVICE,
    }
    return {output_file_name(c): text for c, text in outputs.items()}


# -- ZTE ZXROS ----------------------------------------------------------------------------------

ZTE_HEADER = (
    "Interface               Attribute  Mode         BW    Admin Phy   Prot  Description"
    "                                               "
)


def _zte_interfaces(phy: str, extra: str = "") -> str:
    return f"""{ZTE_HEADER}
xgei-1/1/0/1            optical    Duplex/full  1G    up    up    up    Link_to_XXXXXX
xgei-1/1/0/2            optical    Duplex/full  1G    up    {phy:<5} {phy:<5} Link_to_AGG-CEN
xgei-1/1/0/3            optical    Duplex/full  1G    down  down  down
xxvgei-1/1/0/20         optical    Duplex/full  10G   up    up    up    R-xxxx-01Z_xxvgei-1/1/0/20_to_C-XXXXXX-02Z_...
{extra}"""


ZTE_ALARMS = """Total alarms: 2
--------------------------------------------------------------------------------
Alarm ID      : 1021
Alarm code    : 1200
Alarm name    : ETH_LOS
Alarm level   : critical
Raise time    : 2026-11-21 14:03:07+08:00
Location      : xgei-1/1/0/2
Description   : Ethernet port loss of signal, no light received on the optical module
--------------------------------------------------------------------------------
Alarm ID      : 1022
Alarm code    : 2310
Alarm name    : PW_DOWN
Alarm level   : major
Raise time    : 2026-11-21 14:03:09+08:00
Location      : PW-20021
Description   : Pseudowire down, remote AC down
--------------------------------------------------------------------------------
"""


def _zte_pw(status: str) -> str:
    return f"""Local intf        Local circuit              Dest address    VC ID      Status
----------------- -------------------------- --------------- ---------- ----------
xgei-1/1/0/1.100  Eth VLAN 100               10.10.10.87     20021      {status}
"""


def zte(state: str) -> dict[str, str]:
    faulted = state in ("faulted", "unknown")
    extra = "!! port table truncated by the line card (retry)\n" if state == "unknown" else ""
    tunnels = (REAL / "ntc-templates__zte_zxros_show_mpls_traffic-eng_tunnels.raw").read_text(encoding="utf-8")
    outputs = {
        "show alarm current": ZTE_ALARMS if faulted else "Total alarms: 0",
        "show interface brief": _zte_interfaces("down" if state == "faulted" else "up", extra),
        "show mpls l2transport vc": _zte_pw("DOWN" if faulted else "UP"),
        "show mpls traffic-eng tunnels": tunnels,
    }
    return {output_file_name(c): text for c, text in outputs.items()}


# -- TL1 ----------------------------------------------------------------------------------------

TL1_ALARMS = r"""   "11-SL16-1,STM16:CR,LOS,SA,11-21,14-02-55,NEND,RCV:\"Loss of signal\","
   "11-SL16-1-1,VC4:MJ,AU-AIS,SA,11-21,14-02-56,NEND,RCV:\"AU alarm indication signal\","
"""


def tl1(state: str) -> dict[str, str]:
    """Bodies only: the simulator wraps them in the header, ``M  <ctag> COMPLD`` and ``;``."""
    faulted = state == "faulted"
    conditions = TL1_ALARMS if faulted else ""
    if state == "unknown":
        conditions += '   "11-SL16-1,STM16:CR,LOS,SA,11-21,14-02-55,NEND,RCV:\\"Loss of\n'  # cut mid-record
    return {"rtrv_alm_all.txt": TL1_ALARMS if faulted else "", "rtrv_cond_all.txt": conditions}


BUILDERS = {"huawei_vrp": vrp, "zte_zxros": zte, "tl1": tl1}


def outputs(platform: str, state: str) -> dict[str, str]:
    return BUILDERS[platform](state)
