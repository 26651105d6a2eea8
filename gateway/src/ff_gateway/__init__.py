"""The secure API gateway: nginx between the platform and its vendors, and the agent beside it.

- :mod:`ff_gateway.config`: the one JSON file that describes a gateway (listener, allow-list,
  vendors, where their credentials live in SSM).
- :mod:`ff_gateway.render`: that file through the one nginx template, checked with ``nginx -t``
  before it replaces the running config.
- :mod:`ff_gateway.agent`: the credential agent nginx asks (``auth_request``) for each vendor's
  credential: the OBV API key and a Dynamics 365 bearer token it keeps fresh.
"""
