"""`linewatch db upgrade` and `linewatch inventory import` through the command line, on both
store backends: a second import is a no-op, an edit updates exactly what changed, a broken
inventory changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from correlator.cli import main
from correlator.store.db import head_revision, make_engine
from tests.conftest import Edit, dump_store


def invoke(*args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, list(args))
    return res.exit_code, res.stdout, res.stderr


def test_import_is_idempotent_and_atomic(mini: Path, edit: Edit, store_url: str) -> None:
    code, out, err = invoke("db", "upgrade", "--store", store_url)
    assert code == 0, err
    assert f"revision {head_revision()}" in out

    code, out, err = invoke("inventory", "import", "--json", "--store", store_url, str(mini))
    assert code == 0, err
    first = json.loads(out)
    assert first["changed"] is True
    assert first["tables"]["circuit"]["added"] == 2
    assert first["tables"]["path_hop"]["added"] == 3 + 3 + 2

    code, out, err = invoke("inventory", "import", "--json", "--store", store_url, str(mini))
    assert code == 0, err
    second = json.loads(out)
    assert second["changed"] is False
    assert all(t["added"] == t["updated"] == t["removed"] == 0 for t in second["tables"].values())

    engine: Engine = make_engine(store_url)
    try:
        before = dump_store(engine)
        edit("services.yaml", "customer: CU-SHOP", "customer: CU-NOBODY")  # broken: unknown customer
        code, _, err = invoke("inventory", "import", "--store", store_url, str(mini))
        assert code == 2
        assert "unknown customer 'CU-NOBODY'" in err
        assert dump_store(engine) == before

        edit("services.yaml", "customer: CU-NOBODY", "customer: CU-SHOP")
        edit("services.yaml", "bandwidth: 100M", "bandwidth: 200M")
        code, out, err = invoke("inventory", "import", "--json", "--store", store_url, str(mini))
        assert code == 0, err
        third = json.loads(out)
        assert third["tables"]["circuit"] == {"added": 0, "updated": 1, "removed": 0, "unchanged": 1}
        assert sum(t["updated"] + t["added"] + t["removed"] for t in third["tables"].values()) == 1
    finally:
        engine.dispose()


def test_import_before_upgrade_names_the_fix(mini: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, _, err = invoke("inventory", "import", "--store", url, str(mini))
    assert code == 1
    assert "linewatch db upgrade" in err


def test_unreachable_store_is_one_clear_line(mini: Path) -> None:
    from subprocess import run
    from sys import executable

    exe = str(Path(executable).parent / "linewatch")
    res = run(
        [exe, "inventory", "import", "--store", "postgresql://lw:hunter2@127.0.0.1:9/none", str(mini)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 1
    assert res.stderr.startswith("error: the store cannot be used")
    assert "Traceback" not in res.stderr
    assert "hunter2" not in res.stderr
