"""Fixtures of the diversity tests: the lab loaded once, and a mini network with a truly diverse circuit.

``diverse_mini`` extends a copy of tests/data/mini with a second entry to each customer site and a
circuit CKT-3 whose working path runs CP-1 > NE-A (A-CO) > CP-2 and protection CP-1 > NE-B (B-CO) >
CP-2, over ducts D4, D8 and D6, D5: nothing shared but the end sites and elements.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from correlator.configfile.loader import LoadedConfig, load_config
from correlator.diversity import NetworkIndex
from correlator.policy import SlaPolicy
from tests.conftest import LAB, Edit

EXTRA = """\
ducts:
  - {id: D6, a_site: CP-1, z_site: B-CO, length_m: 900}
  - {id: D8, a_site: A-CO, z_site: CP-2, length_m: 1100}
cables:
  - {id: C5, a_site: CP-1, z_site: B-CO, ducts: [D6]}
  - {id: C6, a_site: A-CO, z_site: CP-2, ducts: [D8]}
links:
  - {id: L-A-CPE2, a: "NE-A:3-EFS-2", z: "CPE-2:GE0/0/2", cables: [C6]}
  - {id: L-B-CPE1, a: "CPE-1:GE0/0/2", z: "NE-B:3-EFS-2", cables: [C5]}
circuits:
  - id: CKT-3
    customer: CU-GOV
    product: sdh_private_line
    bandwidth: 2M
    maintenance_level: AAA
    service_level: vip1
    a_end: {device: CPE-1, port: GE0/0/1}
    z_end: {device: CPE-2, port: GE0/0/1}
    working:
      hops: [L-A-CPE1, L-A-CPE2]
    protection:
      hops: [L-B-CPE1, L-B-CPE2]
"""


@pytest.fixture(scope="module")
def lab() -> LoadedConfig:
    return load_config(LAB)


@pytest.fixture(scope="module")
def lab_index(lab: LoadedConfig) -> NetworkIndex:
    return NetworkIndex(lab.inventory, lab.policy)


@pytest.fixture
def diverse_mini(mini: Path, edit: Edit) -> Path:
    """The mini network plus CKT-3 (see the module text); returns its linewatch.yaml."""
    edit("linewatch.yaml", "  - services.yaml\n", "  - services.yaml\n  - extra.yaml\n")
    edit(
        "network.yaml",
        "      - {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n  - id: NE-B",
        "      - {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n"
        "      - {name: 3-EFS-2, board: 3, kind: fe, if_index: 4}\n  - id: NE-B",
    )
    edit(
        "network.yaml",
        "      - {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n  - id: CPE-1",
        "      - {name: 3-EFS-1, board: 3, kind: fe, if_index: 3}\n"
        "      - {name: 3-EFS-2, board: 3, kind: fe, if_index: 4}\n  - id: CPE-1",
    )
    edit(
        "network.yaml",
        "      - {name: GE0/0/1, kind: ge, if_index: 5}\n",
        "      - {name: GE0/0/1, kind: ge, if_index: 5}\n      - {name: GE0/0/2, kind: ge, if_index: 6}\n",
    )
    edit(
        "network.yaml",
        "      - {name: GE0/0/1, kind: ge, if_index: 1}\n",
        "      - {name: GE0/0/1, kind: ge, if_index: 1}\n      - {name: GE0/0/2, kind: ge, if_index: 2}\n",
    )
    (mini.parent / "extra.yaml").write_text(EXTRA)
    return mini


IndexOf = Callable[..., NetworkIndex]


@pytest.fixture
def index_of() -> IndexOf:
    """Load a config (it must be valid) and index it."""

    def _index(path: Path, policy: SlaPolicy | None = None) -> NetworkIndex:
        cfg = load_config(path)
        return NetworkIndex(cfg.inventory, policy or cfg.policy)

    return _index


def with_diversity(policy: SlaPolicy, **changes: object) -> SlaPolicy:
    """The policy with some diversity settings changed."""
    return policy.model_copy(update={"diversity": policy.diversity.model_copy(update=changes)})
