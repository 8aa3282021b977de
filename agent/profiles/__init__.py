"""Device profiles as data: what to poll on an element and how rows become conditions.

The profiles live in ``config/profiles/*.yaml`` (format: ``config/profiles/README.md``).

>>> profiles = load_profiles(Path("config/profiles"))
>>> profile = profiles.detect(sys_object_id, sys_descr, kind=device.kind)
>>> for spec in profile.tables(): ...           # bulk-walk spec.columns, one scope per spec.name
>>> obs = profile.evaluate(device.id, rows, complete, settings.optical, active=raised_now)
>>> profile.map_trap(device.id, trap_oid, varbinds, names=if_names, resources=last_resources)
"""

from agent.profiles.loader import ProfileSet, load_profiles
from agent.profiles.offline import read_tables
from agent.profiles.profile import Profile, ResourceIndex, Table, TableSpec
from agent.profiles.values import from_pysnmp, oid_text
from agent.snmprec import Rows, Value

__all__ = [
    "Profile",
    "ProfileSet",
    "ResourceIndex",
    "Rows",
    "Table",
    "TableSpec",
    "Value",
    "from_pysnmp",
    "load_profiles",
    "oid_text",
    "read_tables",
]
