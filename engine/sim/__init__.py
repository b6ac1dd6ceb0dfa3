"""Simulated parties and data for the sandbox, tests, benchmarks and demos.

- ``parties``: the simulated callers and agents of the sandbox dialplan (ARI originate
  parameters).
- ``customers``: seeded synthetic customers (``python -m engine profiles generate``).
"""
