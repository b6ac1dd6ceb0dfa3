"""The outbound dialer's pure core: pacing, the abandon guard, compliance, the simulator.

No I/O and no clock: every decision takes ``now`` (seconds for pacing and the guard, an
aware datetime for compliance) and returns numbers or actions (``actions.py``) for the
ARI/AMI adapters to carry out. See docs/dialer.md for the algorithms and the figures.

- ``pacing``: ``Snapshot`` + ``Allowance`` -> lines to dial (progressive, fixed ratio,
  predictive); ``estimates`` and ``risk`` hold the predictive model.
- ``guard``: the 2-second rule, the rolling abandon rate, the allowance, the 72 h rule.
- ``compliance``: calling windows, DNC/opt-out hook, attempts and retry intervals.
- ``simulate``/``traffic``/``agents``/``grid``/``cli``: ``python -m engine dialer simulate``.
- the I/O side (campaigns over ARI with AMD, docs/dialer.md "Campaigns and the I/O side"):
  ``service`` wires ``runner`` (+ ``linecalls``, ``agentleg``, ``preview``) into the call
  service and routing; ``store``/``contacts``/``schema`` hold campaigns in SQLite;
  ``http`` and ``control_cli`` control them.
"""
