"""Campaigns over ARI with AMD: the I/O side of the dialer.

- ``service.DialerService``: campaign control and one ``runner.CampaignRunner`` per
  running campaign; its ARI and routing handlers are registered by ``engine/app.py``.
- ``runner``: carries out what the pure ``core.line`` / ``core.campaign`` decide.
- ``schema`` (tables, migrations), ``store`` (campaign, contact and DNC queries),
  ``dial_store`` (dial-time reads and attempt results), ``csvfile``, ``reserve`` (the
  dialer's view of routing's agent pool), ``adopt`` (talks left by an earlier engine),
  ``status``, ``http`` (``/dialer/...``), ``cli`` (campaign commands).
"""
