"""Device simulators that the tests and the demo lab run on loopback (not used by the agent itself)."""
