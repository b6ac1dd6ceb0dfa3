"""The outbound dialer: predictive pacing within the abandon-rate rules, campaigns over
ARI with AMD, and the pacing simulator. See docs/dialer.md.

Entry points:

- ``campaigns.service.DialerService``: built by ``engine/app.py`` (the composition root),
  which hands it ``campaigns.reserve.AgentReservations`` and registers its ``route``,
  ``tap`` and ``claim`` with the call service; ``start``/``resync``/``stop``, campaign
  control (``create``, ``control``, ``import_csv``, ``status``...).
- ``campaigns.http.routes``: ``/dialer/...``; ``campaigns.schema.migrations``: its tables.
- ``cli.register``: ``python -m engine dialer simulate|campaigns|create|import|start...``.
- ``core`` (pure, no I/O, no clock): ``core.line.Line.handle(event, now)`` a line's life,
  ``core.campaign`` a campaign's decisions, ``core.pacing``, ``core.guard``,
  ``core.compliance``.
- ``simulator.simulate.Simulation`` and ``simulator.grid``: the pacing simulator.

Subpackages: ``core`` imports nothing from ``campaigns`` or ``simulator``;
``simulator`` uses ``core`` only; ``campaigns`` uses ``core``.
"""
