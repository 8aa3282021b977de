"""CLI collection (issue 4): vendor command output -> the same Observation the SNMP profiles produce.

Parsing half (this package's data-driven part): :mod:`agent.cli.platform` loads the platforms
(``config/cli/platforms/*.yaml``: netmiko device type, paging, commands, templates, rules),
:mod:`agent.cli.parse` runs TextFSM templates (ntc-templates or the own ones in
``agent/cli/templates/``) and refuses output it does not understand, :mod:`agent.cli.tl1` reads
TL1 response blocks, :mod:`agent.cli.alarmnames` maps vendor alarm names onto the normalised alarm
types (``config/vendor_alarms.yaml``) and :mod:`agent.cli.observe` turns the outputs of one
collection into an :class:`~agent.observation.Observation`. The SSH/telnet sessions live in the
same package, in their own modules.
"""
