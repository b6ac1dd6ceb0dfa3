"""The pacing simulator: ``python -m engine dialer simulate``.

``simulate.Simulation`` runs a pacer and the abandon guard over seeded ``traffic`` with
a simulated team (``agents``); ``grid`` compares algorithms over scenarios; ``cli``
registers the command.
"""
