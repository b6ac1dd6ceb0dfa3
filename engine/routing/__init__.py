"""VIP and skill-based routing shared through Redis (issue 3). See docs/routing.md.

Entry points:
- ``service.RoutingService``: the adapter the call path uses (``calls.ports.Router``):
  enqueue, offer, answer, presence, reload;
- the pure core: ``plan`` (which agents may take a call, in which order), ``tiers``
  (VIP tier lookup), ``matching`` (who gets the next call);
- ``store.RoutingStore``: queries on the routing state in Redis (Lua scripts in ``lua/``),
  every key named in ``keys.Keys``;
- ``config.load_config`` reads the YAML into ``config_types.RoutingConfig``;
- ``http.routes`` (``/agents``, ``/queues``, ``/routing/...``) and ``cli.register``
  (``skills check``, ``agents``).
"""
