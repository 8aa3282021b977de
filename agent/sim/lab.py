"""The embedded demo lab: the inventory of ``config/lab`` served by simulators, and faults on demand.

``linewatch lab start`` generates one SNMP recording per element (:mod:`agent.sim.snmp`) into the
lab's state directory (``<config dir>/state/lab``) and starts the lab *supervisor* in the
background (``python -m agent.sim.lab serve``), which runs:

* one ``snmpsim-command-responder`` with one SNMP engine per element (its own engine id, its
  credential set's v2c community or v3 user, its recording) on the element's own address at the
  catalogue's ``engine_port`` (16161);
* a UDP relay on every element's management address (``mgmt_address:snmp.port``) to its engine
  (:mod:`agent.sim.relay`); an element that is off or cut off from management gets silence;
* the SSH/telnet simulator (:mod:`agent.sim.ssh`) for the elements with a CLI credential set,
  when that simulator is part of this linewatch.

``linewatch lab break --cut duct:D-013`` records the cut in ``lab.json``, rewrites the recordings of
the elements it changes (snmpsim re-reads a recording whose modification time changed) and tells
the supervisor (SIGHUP) which elements went silent. ``--heal`` undoes one cut or all. What a cut
does is :mod:`agent.sim.faults` and :mod:`agent.sim.labnet`.

Everything is in the state directory: ``lab.json`` (cuts, boot times), ``snmp/<element>/``
(recordings), ``supervisor.json`` (pid, addresses, written when everything answers), ``lab.log``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.sim.faults import Faults, check_cuts, faults_of
from agent.sim.labnet import LabNetwork, load_catalogue
from agent.sim.relay import RelayError, Relays
from agent.sim.snmp import Recorder, render, same_but_uptime, write_recording
from correlator.configfile.loader import LoadedConfig, load_config
from correlator.diversity.expand import NetworkIndex
from correlator.diversity.whatif import WhatIf, what_if
from correlator.secrets import SecretError, SecretResolver

log = logging.getLogger("agent.sim.lab")

STATE_VERSION = 1
SNMPSIM_V3_AUTH = {
    "md5": "MD5",
    "sha": "SHA",
    "sha224": "SHA224",
    "sha256": "SHA256",
    "sha384": "SHA384",
    "sha512": "SHA512",
}
SNMPSIM_V3_PRIV = {"des": "DES", "3des": "3DES", "aes": "AES", "aes192": "AES192", "aes256": "AES256"}
READY_TIMEOUT_S = 90.0
V3_DATA_FILE = "self.snmprec"
"""snmpsim serves an engine's ``self`` recording for requests with the empty SNMPv3 context."""


class LabError(Exception):
    """The lab cannot do what was asked; the message names the fix."""


def default_state_dir(cfg_path: Path) -> Path:
    return cfg_path.resolve().parent / "state" / "lab"


# -- persistent state ---------------------------------------------------------------------------


@dataclass
class LabState:
    cuts: list[str] = field(default_factory=list)
    epoch: str | None = None
    """When the lab first started (ISO); element uptimes count from before it."""
    boots: dict[str, str] = field(default_factory=dict)
    """Element -> when it was powered on again after a cut (ISO)."""

    @classmethod
    def load(cls, path: Path) -> LabState:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise LabError(
                f"{path}: cannot read the lab state ({exc}); remove it to start from a healthy lab"
            ) from None
        if not isinstance(raw, dict) or raw.get("version") != STATE_VERSION:
            raise LabError(f"{path}: not a lab state of this linewatch; remove it to start from a healthy lab")
        return cls(
            cuts=[str(c) for c in raw.get("cuts", [])],
            epoch=raw.get("epoch"),
            boots={str(k): str(v) for k, v in (raw.get("boots") or {}).items()},
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": STATE_VERSION, "cuts": self.cuts, "epoch": self.epoch, "boots": self.boots}
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)


@dataclass(frozen=True)
class Endpoint:
    device: str
    host: str
    port: int
    version: str
    """v1 / v2c / v3."""


@dataclass
class BreakReport:
    faults: Faults
    impact: WhatIf
    rewritten: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {**self.faults.as_dict(), "impact": self.impact.as_dict(), "rewritten": self.rewritten}


# -- the lab ---------------------------------------------------------------------------------------


class Lab:
    """One lab: a daemon config (its inventory and credentials) and a state directory."""

    def __init__(self, cfg: LoadedConfig, state_dir: Path | None = None, catalogue: Path | None = None) -> None:
        self.cfg = cfg
        self.state_dir = (state_dir or default_state_dir(cfg.path)).resolve()
        self.index = NetworkIndex(cfg.inventory, cfg.policy)
        self.net = LabNetwork.build(self.index, load_catalogue(catalogue) if catalogue else load_catalogue())
        self.resolver = SecretResolver(cfg.base_dir, cfg.daemon.secrets_file)

    @classmethod
    def open(cls, cfg_path: Path, state_dir: Path | None = None) -> Lab:
        return cls(load_config(cfg_path), state_dir)

    # -- paths ---------------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.state_dir / "lab.json"

    @property
    def supervisor_file(self) -> Path:
        return self.state_dir / "supervisor.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "lab.log"

    @property
    def snmp_dir(self) -> Path:
        return self.state_dir / "snmp"

    def state(self) -> LabState:
        return LabState.load(self.state_file)

    # -- endpoints and credentials -------------------------------------------------------------

    def endpoints(self) -> list[Endpoint]:
        out = []
        for d in self.cfg.inventory.devices:
            cset = self.cfg.daemon.credentials.get(d.credentials)
            if cset is None or cset.snmp is None:
                continue
            out.append(Endpoint(d.id, str(d.mgmt_address), d.snmp.port, cset.snmp.version))
        return out

    def _data_file(self, endpoint: Endpoint) -> Path:
        """Where snmpsim finds the element's recording: named by its v1/v2c community (the community
        snmpsim answers), or ``self`` for SNMPv3 (the empty context)."""
        base = self.snmp_dir / endpoint.device
        if endpoint.version == "v3":
            return base / V3_DATA_FILE
        device = self.cfg.inventory.devices[endpoint.device]
        cset = self.cfg.daemon.credentials[device.credentials]
        assert cset.snmp is not None and cset.snmp.community is not None
        try:
            community = self.resolver.resolve(cset.snmp.community).reveal()
        except SecretError as exc:
            raise LabError(f"{endpoint.device}: {exc}") from None
        if not community or "/" in community or community.startswith(".") or any(c.isspace() for c in community):
            raise LabError(
                f"{endpoint.device}: the lab simulator needs a community usable as a file name (credential set "
                f"'{device.credentials}'): no '/', no spaces"
            )
        return base / f"{community}.snmprec"

    def _engine_args(self, endpoint: Endpoint, backend: tuple[str, int]) -> list[str]:
        device = self.cfg.inventory.devices[endpoint.device]
        cset = self.cfg.daemon.credentials[device.credentials]
        snmp = cset.snmp
        assert snmp is not None
        enterprise = 2011 if device.vendor == "huawei" else 3902 if device.vendor == "zte" else 8072
        engine_id = f"{0x80000000 | enterprise:08x}04" + endpoint.device.encode()[:27].hex()
        data_dir = self._data_file(endpoint).parent.relative_to(self.state_dir)
        args = [f"--v3-engine-id={engine_id}", f"--data-dir={data_dir}"]
        if snmp.version == "v3":
            assert snmp.user is not None
            args.append(f"--v3-user={snmp.user}")
            try:
                if snmp.auth_protocol is not None and snmp.auth_key is not None:
                    args += [
                        f"--v3-auth-key={self.resolver.resolve(snmp.auth_key).reveal()}",
                        f"--v3-auth-proto={SNMPSIM_V3_AUTH[snmp.auth_protocol]}",
                    ]
                if snmp.priv_protocol is not None and snmp.priv_key is not None:
                    args += [
                        f"--v3-priv-key={self.resolver.resolve(snmp.priv_key).reveal()}",
                        f"--v3-priv-proto={SNMPSIM_V3_PRIV[snmp.priv_protocol]}",
                    ]
            except SecretError as exc:
                raise LabError(f"{endpoint.device}: {exc}") from None
        args.append(f"--agent-udpv4-endpoint={backend[0]}:{backend[1]}")
        for a in args:
            if any(c.isspace() for c in a):
                raise LabError(
                    f"{endpoint.device}: a simulator setting contains white space (secrets and paths may not)"
                )
        return args

    # -- recordings ----------------------------------------------------------------------------

    def faults(self, cuts: Iterable[str] | None = None) -> Faults:
        return faults_of(self.index, self.state().cuts if cuts is None else cuts)

    def generate(self, state: LabState | None = None, now: datetime | None = None) -> list[str]:
        """Write every element's recording for ``state``; returns the elements whose data changed."""
        state = state or self.state()
        now = now or datetime.now(UTC)
        if state.epoch is None:
            state.epoch = now.isoformat()
            state.save(self.state_file)
        faults = faults_of(self.index, state.cuts)
        boots = {d: datetime.fromisoformat(t) for d, t in state.boots.items()}
        epoch = datetime.fromisoformat(state.epoch)
        recorder = Recorder(self.net, faults, now, boots)
        changed = []
        for ep in self.endpoints():
            if ep.device not in boots:
                recorder.boots[ep.device] = epoch - recorder.uptime_at_epoch(ep.device)
            path = self._data_file(ep)
            data = render(recorder.records(ep.device))
            if same_but_uptime(path, data):
                continue  # nothing changed but the clock: snmpsim keeps serving the file it has indexed
            if write_recording(path, data):
                changed.append(ep.device)
        return changed

    # -- faults --------------------------------------------------------------------------------

    def cut(self, texts: Sequence[str], now: datetime | None = None) -> BreakReport:
        """Add cuts (``KIND:ID``); raises CutError naming the fix for an unknown one."""
        keys = check_cuts(self.index, texts)
        state = self.state()
        state.cuts = list(dict.fromkeys([*state.cuts, *keys]))
        return self._apply(state, now)

    def heal(self, texts: Sequence[str] | None = None, now: datetime | None = None) -> BreakReport:
        """Remove some cuts (``None``: all); powered-off elements boot again now."""
        state = self.state()
        keys = check_cuts(self.index, texts) if texts else list(state.cuts)
        not_cut = [k for k in keys if k not in state.cuts]
        if not_cut:
            raise LabError(f"{', '.join(not_cut)} is not cut (cut now: {', '.join(state.cuts) or 'nothing'})")
        now = now or datetime.now(UTC)
        before = faults_of(self.index, state.cuts)
        state.cuts = [c for c in state.cuts if c not in keys]
        after = faults_of(self.index, state.cuts)
        for dev in sorted(before.devices_down - after.devices_down):
            state.boots[dev] = now.isoformat()
        return self._apply(state, now)

    def _apply(self, state: LabState, now: datetime | None) -> BreakReport:
        state.save(self.state_file)
        rewritten = self.generate(state, now)
        faults = faults_of(self.index, state.cuts)
        self.signal_supervisor(signal.SIGHUP)
        return BreakReport(faults, what_if(self.index, faults.cuts), rewritten)

    # -- the supervisor process ----------------------------------------------------------------

    def supervisor(self) -> dict[str, Any] | None:
        """The running supervisor's record, or None (a stale record is removed)."""
        try:
            info = json.loads(self.supervisor_file.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        pid = info.get("pid")
        if not isinstance(pid, int) or not _alive(pid):
            with contextlib.suppress(FileNotFoundError):
                self.supervisor_file.unlink()
            return None
        return dict(info)

    def signal_supervisor(self, sig: signal.Signals) -> bool:
        info = self.supervisor()
        if info is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(info["pid"]), sig)
            return True
        return False

    def start(self, timeout_s: float = READY_TIMEOUT_S) -> dict[str, Any]:
        """Start the supervisor in the background and wait until every element answers."""
        running = self.supervisor()
        if running is not None:
            return running
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.generate()
        with self.log_file.open("ab") as out:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agent.sim.lab",
                    "serve",
                    "--config",
                    str(self.cfg.path.resolve()),
                    "--state-dir",
                    str(self.state_dir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=str(self.state_dir),
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            info = self.supervisor()
            if info is not None and info.get("pid") == proc.pid:
                return info
            if proc.poll() is not None:
                raise LabError(
                    f"the lab simulators did not start (exit {proc.returncode}); last lines of {self.log_file}:\n"
                    + _tail(self.log_file)
                )
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        raise LabError(
            f"the lab simulators did not answer within {timeout_s:g} s; see {self.log_file}:\n" + _tail(self.log_file)
        )

    def stop(self, timeout_s: float = 20.0) -> bool:
        """Stop the supervisor (and its simulators); False if none was running."""
        info = self.supervisor()
        if info is None:
            return False
        pid = int(info["pid"])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.1)
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            self.supervisor_file.unlink()
        return True


def _die_with_parent() -> None:
    """In a simulator child before it runs: SIGTERM it when the supervisor dies, however it dies
    (Linux PR_SET_PDEATHSIG), so no simulator is left holding the lab's addresses."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def _at(address: tuple[str, int]) -> str:
    return f"{address[0]}:{address[1]}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- the supervisor (runs as `python -m agent.sim.lab serve`) ------------------------------------


class Supervisor:
    """snmpsim, the relays and the SSH simulator of one lab, until SIGTERM/SIGINT."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.relays = Relays()
        self.snmpsim: subprocess.Popen[bytes] | None = None
        self.ssh: subprocess.Popen[bytes] | None = None
        self.backends: dict[str, tuple[str, int]] = {}
        """Element -> where its SNMP engine listens: its own address, the catalogue's engine_port."""
        self._snmpsim_args: Path = lab.state_dir / "snmpsim.args"
        self._restarts = 0

    @staticmethod
    def _check_snmpsim() -> None:
        try:
            import snmpsim  # noqa: F401
        except ImportError:
            raise LabError("snmpsim is not installed (pip install snmpsim into the virtualenv: make setup)") from None

    def _start_snmpsim(self) -> None:
        lab = self.lab
        self._check_snmpsim()
        args: list[str] = []
        for ep in lab.endpoints():
            args += lab._engine_args(ep, self.backends[ep.device])
        fd = os.open(self._snmpsim_args, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(args) + "\n")
        empty = lab.state_dir / "variation"
        empty.mkdir(exist_ok=True)
        log_path = lab.state_dir / "snmpsim.log"
        with log_path.open("ab") as out:
            self.snmpsim = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "agent.sim.snmpsim_main",
                    f"--args-from-file={self._snmpsim_args.name}",
                    "--cache-dir=cache",
                    f"--variation-modules-dir={empty.name}",
                    "--log-level=error",
                ],
                cwd=str(lab.state_dir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "SNMPSIM_ALLOW_ROOT": "true"},
                preexec_fn=_die_with_parent,
            )
        log.info("snmpsim started (pid %d): %d SNMP engines", self.snmpsim.pid, len(self.backends))

    def _ssh_config(self) -> Path | None:
        from agent.sim import cli as sim_cli

        return sim_cli.write_config(self.lab)

    def _start_ssh(self) -> None:
        try:
            import agent.sim.ssh  # noqa: F401
        except ImportError:
            log.info("no SSH/telnet simulator in this linewatch: the lab serves SNMP only")
            return
        config = self._ssh_config()
        if config is None:
            return
        ready = self.lab.state_dir / "ssh.ready.json"
        with contextlib.suppress(FileNotFoundError):
            ready.unlink()
        with (self.lab.state_dir / "ssh.log").open("ab") as out:
            self.ssh = subprocess.Popen(
                [sys.executable, "-m", "agent.sim.ssh", "--config", str(config), "--ready-file", str(ready)],
                cwd=str(self.lab.state_dir),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ready.exists():
                log.info("SSH/telnet simulator started (pid %d)", self.ssh.pid)
                return
            if self.ssh.poll() is not None:
                raise LabError(
                    "the SSH/telnet simulator did not start; last lines of ssh.log:\n"
                    + _tail(self.lab.state_dir / "ssh.log")
                )
            time.sleep(0.1)
        raise LabError("the SSH/telnet simulator did not get ready within 30 s (see ssh.log)")

    async def _answers(self, endpoints: list[Any]) -> list[str]:
        """The elements that do not answer a GET through their relay (blocked ones are skipped)."""
        from agent.sim.probe import probe_all

        return await probe_all(self.lab, [ep for ep in endpoints if ep.device not in self.relays.blocked])

    async def _diagnose(self, silent: list[str], endpoints: list[Endpoint]) -> str:
        """Why elements stay silent: the simulator behind them, or the way to it."""
        from agent.sim.probe import probe_all

        chosen = [ep for ep in endpoints if ep.device in silent]
        backend_silent = set(await probe_all(self.lab, chosen, timeout=2.0, direct=self.backends))
        lines = []
        for ep in chosen:
            relay = self.relays.relays.get(ep.device)
            counts = f"relayed {relay.relayed}, answers {relay.answered}" if relay is not None else "no relay"
            where = (
                f"its SNMP engine at {_at(self.backends[ep.device])} does not answer either (see snmpsim.log)"
                if ep.device in backend_silent
                else f"its SNMP engine answers at {_at(self.backends[ep.device])}, the relay on "
                f"{ep.host}:{ep.port} does not ({counts}; another process on that address?)"
            )
            lines.append(f"  {ep.device}: {where}")
        return "elements do not answer through the simulator:\n" + "\n".join(lines)

    def reload(self) -> None:
        faults = self.lab.faults()
        self.relays.block(set(faults.unreachable))
        log.info(
            "lab state: cuts %s; silent elements: %s",
            ", ".join(faults.cuts) or "none",
            ", ".join(sorted(faults.unreachable)) or "none",
        )
        if self.ssh is not None:
            from agent.sim import cli as sim_cli

            sim_cli.write_config(self.lab)

    async def run(self) -> None:
        lab = self.lab
        endpoints = lab.endpoints()
        engine_port = lab.net.catalogue.engine_port
        clash = [ep.device for ep in endpoints if ep.port == engine_port]
        if clash:
            raise LabError(
                f"{', '.join(clash)}: snmp.port {engine_port} is the simulator's engine_port; set another "
                "engine_port in config/lab/simulator.yaml"
            )
        self.backends = {ep.device: (ep.host, engine_port) for ep in endpoints}
        lab.generate()
        self.reload()
        stop = asyncio.Event()
        hup = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, hup.set)
        try:
            for ep in endpoints:
                await self.relays.add(ep.device, (ep.host, ep.port), self.backends[ep.device])
            self._start_snmpsim()
            self._start_ssh()
            deadline = time.monotonic() + READY_TIMEOUT_S
            silent = await self._answers(endpoints)
            while silent and time.monotonic() < deadline and not stop.is_set():
                if self.snmpsim is not None and self.snmpsim.poll() is not None:
                    raise LabError(
                        f"snmpsim exited ({self.snmpsim.returncode}); last lines of snmpsim.log:\n"
                        + _tail(lab.state_dir / "snmpsim.log")
                    )
                await asyncio.sleep(0.5)
                silent = await self._answers([ep for ep in endpoints if ep.device in silent])
            if silent:
                raise LabError(await self._diagnose(silent, endpoints))
            self._write_supervisor(endpoints)
            log.info("lab ready: %d elements answer SNMP", len(endpoints))
            while not stop.is_set():
                waiter = asyncio.ensure_future(stop.wait())
                hupper = asyncio.ensure_future(hup.wait())
                await asyncio.wait({waiter, hupper}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                hupper.cancel()
                if hup.is_set():
                    hup.clear()
                    self.reload()
                self._watch()
        finally:
            await self.relays.close()
            for proc in (self.snmpsim, self.ssh):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
            info = lab.supervisor()
            if info is not None and info.get("pid") == os.getpid():
                with contextlib.suppress(FileNotFoundError):
                    lab.supervisor_file.unlink()
            log.info("lab stopped")

    def _watch(self) -> None:
        """A simulator that died is started again (and said so)."""
        if self.snmpsim is not None and self.snmpsim.poll() is not None:
            self._restarts += 1
            log.error("snmpsim exited (%s); starting it again (restart %d)", self.snmpsim.returncode, self._restarts)
            self._start_snmpsim()

    def _write_supervisor(self, endpoints: list[Endpoint]) -> None:
        data = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(),
            "config": str(self.lab.cfg.path.resolve()),
            "snmpsim_pid": self.snmpsim.pid if self.snmpsim is not None else None,
            "ssh_pid": self.ssh.pid if self.ssh is not None else None,
            "elements": {ep.device: f"{ep.host}:{ep.port}/udp" for ep in endpoints},
        }
        tmp = self.lab.supervisor_file.with_name(".supervisor.json.tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.lab.supervisor_file)


def serve(cfg_path: Path, state_dir: Path | None) -> int:
    from agent.daemon import configure_logging

    configure_logging(False)
    try:
        lab = Lab.open(cfg_path, state_dir)
        asyncio.run(Supervisor(lab).run())
    except (LabError, RelayError) as exc:
        log.error("%s", exc)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m agent.sim.lab", description="the lab supervisor")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="run the simulators in the foreground until SIGTERM")
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--state-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    return serve(args.config, args.state_dir)


if __name__ == "__main__":
    sys.exit(main())
