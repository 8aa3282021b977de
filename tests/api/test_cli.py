"""``linewatch api``: the API alone on the store, in a real process; and the config checks of tokens."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from correlator.cli import main
from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import load_config
from correlator.store.db import upgrade
from tests.conftest import ROOT

LAB_CONFIG = ROOT / "config"


@pytest.fixture
def lab_copy(tmp_path: Path) -> Path:
    """A writable copy of config/ (the lab and what it references); returns the lab's linewatch.yaml."""
    shutil.copytree(LAB_CONFIG, tmp_path / "config", ignore=shutil.ignore_patterns("state"))
    return tmp_path / "config" / "lab" / "linewatch.yaml"


def test_check_lists_the_routes_and_the_tokens(lab_copy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    r = CliRunner().invoke(main, ["api", "--config", str(lab_copy), "--store", url, "--check", "--json"])
    assert r.exit_code == 0, r.output
    info = json.loads(r.output)
    assert info["tokens"] == {"count": 2, "anonymous_read": False}
    assert "GET /api/v1/noc" in info["routes"] and "POST /api/v1/tickets/{ticket_id}/transitions" in info["routes"]
    assert "lab-noc" not in r.output  # no token value


def test_a_store_not_migrated_is_refused_naming_the_fix(lab_copy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    r = CliRunner().invoke(main, ["api", "--config", str(lab_copy), "--store", url, "--check"])
    assert r.exit_code == 1
    assert "linewatch db upgrade" in r.output


def test_a_token_reference_that_cannot_resolve_is_a_config_error(lab_copy: Path, tmp_path: Path) -> None:
    text = lab_copy.read_text()
    lab_copy.write_text(text.replace("secret: secret:lab-api-operator", "secret: env:LW_TEST_NO_SUCH_VAR"))
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    r = CliRunner().invoke(main, ["api", "--config", str(lab_copy), "--store", url, "--check"], env={})
    assert r.exit_code == 2
    assert "api token 'noc-operator': environment variable LW_TEST_NO_SUCH_VAR is not set" in r.output


def test_check_config_finds_a_token_key_missing_from_the_secrets_file(lab_copy: Path) -> None:
    lab_copy.write_text(lab_copy.read_text().replace("secret:lab-api-operator", "secret:lab-api-nope"))
    with pytest.raises(ConfigError) as err:
        load_config(lab_copy)
    issue = next(i for i in err.value.issues if "lab-api-nope" in i.message)
    assert issue.path == "api.tokens[1].secret" and issue.line > 0


def test_linewatch_api_serves_the_store_and_stops_on_sigterm(lab_copy: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    upgrade(url)
    exe = Path(sys.executable).parent / "linewatch"
    proc = subprocess.Popen(
        [str(exe), "api", "--config", str(lab_copy), "--store", url, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stderr is not None
        base = None
        deadline = time.monotonic() + 30
        lines = []
        while base is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if m := re.search(r"linewatch API on (http://[\d.]+:\d+)/", line):
                base = m.group(1)
        assert base is not None, "".join(lines)
        token = {"Authorization": "Bearer lab-noc-read-2026"}
        for _ in range(100):
            try:
                r = httpx.get(f"{base}/api/v1/whoami", headers=token, timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert r.status_code == 200 and r.json()["name"] == "noc-wall"
        assert httpx.get(f"{base}/api/v1/incidents", headers=token, timeout=5).json() == {"incidents": [], "total": 0}
        with httpx.stream("GET", f"{base}/api/v1/events?access_token=lab-noc-read-2026", timeout=10) as events:
            assert events.status_code == 200
            assert next(events.iter_lines()).startswith("retry:")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out = proc.communicate(timeout=20)[1]
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out
    assert "/api/v1/events?access_token=REDACTED" in out  # the access log redacts the query token
    assert "lab-noc-read-2026" not in out


def test_the_listening_socket_has_nodelay_for_its_connections() -> None:
    """Responses go out in two writes (headers, body): without TCP_NODELAY each waits for the client's
    delayed ACK. Accepted connections inherit the option from the listening socket."""
    import socket

    from correlator.api.server import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        with socket.create_connection(sock.getsockname()[:2]):
            conn, _ = sock.accept()
            with conn:
                assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        sock.close()
