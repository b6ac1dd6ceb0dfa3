"""The retention loop on a call: the agent's screen pop, value and offers, A/B arms.

Entry points:

- ``service.Retention``: the rule files (offers, care rules, next best action), the A/B
  arm of every customer, the value-aware caller lookup (``value_lookup``), the screen
  pop feed (``screen_feed``) and proactive care (``engine.profiles.care``).
- ``http.routes``: ``GET /agents/{id}/screen`` (and its WebSocket),
  ``GET /profiles/customers/{id}/value``, the rule files' state.
- ``cli``: ``python -m engine report ab``.

Pure core: ``screenpop`` (assembly), ``nba`` (next best action), ``offers``,
``lifecycle``, ``ab``. ``store`` reads what the screen pop needs from SQLite.
"""
