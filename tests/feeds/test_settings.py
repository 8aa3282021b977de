"""The ``feeds:`` section of the daemon config: defaults, and errors naming file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from correlator.cli import main
from correlator.configfile.errors import ConfigError
from correlator.configfile.loader import load_config
from correlator.correlation.model import ImpactStatus
from correlator.feeds.settings import FeedsSettings
from tests.conftest import LAB

GOOD = """
feeds:
  external_url: https://noc.example/linewatch
  webhooks:
    - name: noc-bus
      url: https://hooks.example/linewatch
      secret: secret:community
      events: ["incident.*", "ticket.*"]
      max_attempts: 20
      on_reject: dead_letter
  alertmanagers:
    - name: noc-am
      url: http://127.0.0.1:9093
      basic_auth: {username: linewatch, password: env:AM_PASSWORD}
      end_on: closed
"""


def check(mini: Path) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["check-config", str(mini)])
    return res.exit_code, res.stdout + res.stderr


def test_defaults_deliver_nowhere_and_never_give_up() -> None:
    s = FeedsSettings()
    assert s.webhooks == [] and s.alertmanagers == []
    hook = FeedsSettings.model_validate(
        {"webhooks": [{"name": "w", "url": "http://x.example/", "secret": "env:S"}]}
    ).webhooks[0]
    assert hook.max_attempts is None and hook.on_reject == "retry" and hook.wants("incident.opened")
    assert hook.include_unpublished is False
    am = FeedsSettings.model_validate({"alertmanagers": [{"name": "a", "url": "http://am:9093"}]}).alertmanagers[0]
    assert am.ttl_s == 4 * am.resend_interval_s
    assert am.severity[ImpactStatus.outage] == "critical" and am.end_on == "cleared"


def test_lab_config_has_a_valid_feeds_section() -> None:
    cfg = load_config(LAB)
    assert cfg.daemon.feeds.external_url is not None


def test_a_full_feeds_section_is_valid(mini: Path) -> None:
    mini.write_text(mini.read_text() + GOOD)
    code, out = check(mini)
    assert code == 0, out
    feeds = load_config(mini).daemon.feeds
    assert feeds.webhooks[0].wants("ticket.clock_breach") and not feeds.webhooks[0].wants("other.thing")
    assert feeds.alertmanagers[0].end_on == "closed"


@pytest.mark.parametrize(
    ("old", "new", "path", "message", "line_has"),
    [
        ("secret: secret:community", "secret: hunter2", "feeds.webhooks[0].secret", "must be a reference", "secret:"),
        (
            "secret: secret:community",
            "secret: secret:nope",
            "feeds.webhooks[0].secret",
            "is not in secrets.yaml",
            "secret:",
        ),
        (
            "url: https://hooks.example/linewatch",
            "url: ftp://x",
            "feeds.webhooks[0].url",
            "http:// or https://",
            "url:",
        ),
        (
            "url: https://hooks.example/linewatch",
            "url: https://user:pw@hooks.example/",
            "feeds.webhooks[0].url",
            "must not hold credentials",
            "url:",
        ),
        (
            'events: ["incident.*", "ticket.*"]',
            'events: ["incidnet.opened"]',
            "feeds.webhooks[0]",
            "matches no event",
            "name: noc-bus",
        ),
        (
            "max_attempts: 20",
            "max_attempts: 0",
            "feeds.webhooks[0].max_attempts",
            "greater than or equal to 1",
            "max_attempts:",
        ),
        (
            "on_reject: dead_letter",
            "on_reject: drop",
            "feeds.webhooks[0].on_reject",
            "'retry' or 'dead_letter'",
            "drop",
        ),
        ("end_on: closed", "end_on: never", "feeds.alertmanagers[0].end_on", "'cleared' or 'closed'", "end_on:"),
        ("name: noc-am", "name: noc-bus", "feeds", "used twice", "feeds:"),
        (
            "      end_on: closed",
            "      end_on: closed\n      resend: 30",
            "feeds.alertmanagers[0].resend",
            "unknown",
            "resend:",
        ),
    ],
)
def test_errors_name_the_file_the_line_and_the_fix(
    mini: Path, old: str, new: str, path: str, message: str, line_has: str
) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    mini.write_text(mini.read_text() + text)
    with pytest.raises(ConfigError) as err:
        load_config(mini)
    issues = [i for i in err.value.issues if i.path.startswith(path)]
    assert issues, str(err.value)
    issue = issues[0]
    assert message in issue.message, str(issue)
    assert issue.file.endswith("linewatch.yaml") and issue.line > 20
    assert line_has in mini.read_text().splitlines()[issue.line - 1]
    code, out = check(mini)
    assert code == 2 and f":{issue.line}: {issue.path}:" in out
    assert "hunter2" not in out  # a secret written in by mistake is not echoed back
