"""The HTTP API of the correlator (FastAPI) and the NOC page it serves.

- :func:`correlator.api.app.create_app` builds the app from an :class:`correlator.api.context.ApiContext`;
- :mod:`correlator.api.auth`: bearer tokens, roles ``read_only`` and ``operator``;
- :mod:`correlator.api.live`: the broadcaster behind ``/api/v1/events`` (server-sent events) and its
  pipeline stage; :mod:`correlator.api.watch`: the store re-read for an API running apart;
- :mod:`correlator.api.server`: uvicorn on a socket, for ``linewatch api`` and tests.

This package's ``__init__`` imports nothing, so the config model can import
:mod:`correlator.api.settings` without FastAPI.
"""
