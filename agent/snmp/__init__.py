"""The agent's SNMP layer: one shared pysnmp engine, a session per element, classified failures.

>>> client = SnmpClient()                      # inside the running event loop
>>> auth = client.auth("cpe-default", creds, resolver)
>>> session = client.open_session("CPE-1", "192.0.2.10", 161, auth, timeout_s=2, retries=1)
>>> await session.get(["1.3.6.1.2.1.1.2.0"])
>>> result = await session.walk(["1.3.6.1.2.1.2.2.1.8"], max_repetitions=25)
"""

from agent.snmp.auth import CredentialError, SnmpAuth, build_auth
from agent.snmp.client import SnmpClient
from agent.snmp.errors import FailureReason, SnmpError
from agent.snmp.session import Column, SnmpSession, WalkResult
from agent.snmp.values import to_value

__all__ = [
    "Column",
    "CredentialError",
    "FailureReason",
    "SnmpAuth",
    "SnmpClient",
    "SnmpError",
    "SnmpSession",
    "WalkResult",
    "build_auth",
    "to_value",
]
