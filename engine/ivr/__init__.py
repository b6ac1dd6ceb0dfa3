"""The DTMF and speech IVR menus.

Entry points: ``menu.IvrSession`` (the pure menu walk the call path drives) over an
``menu.IvrConfig``, which ``config.load`` reads from ``skills/ivr.yaml``.
"""
