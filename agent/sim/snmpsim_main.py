"""snmpsim's command responder, with room to keep every lab element's recording open.

snmpsim keeps at most ``DataFile.max_queue_entries`` (31) recordings open and closes the oldest
when it opens another; with more elements than that, every request reopens a recording, and a
recording rewritten by ``linewatch lab break`` would have its index rebuilt again and again. The lab
serves one recording per element (37 and more), so it raises the limit before handing over to
snmpsim's own ``main``. Run as ``python -m agent.sim.snmpsim_main <snmpsim arguments>``.
"""

from __future__ import annotations

import os
import sys

OPEN_RECORDINGS = 4096


def main() -> int:
    from snmpsim import datafile
    from snmpsim.commands import responder

    datafile.DataFile.max_queue_entries = int(os.environ.get("LINEWATCH_SNMPSIM_OPEN", OPEN_RECORDINGS))
    sys.argv[0] = "snmpsim-command-responder"
    return int(responder.main() or 0)


if __name__ == "__main__":
    sys.exit(main())
