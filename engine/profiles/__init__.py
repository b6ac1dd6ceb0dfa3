"""Customer profiles, churn risk and the retention loop (issue 4).

Subpackages, each importing only the ones before it (no cycles):

- ``ingest``: events in (HTTP, bulk import), the profile store's writes and reads,
  caller-ID lookup. Entry points: ``ingest.service.ProfileStore``,
  ``ingest.lookup.StoreLookup``, ``ingest.http.routes``, ``ingest.cli`` (``profiles``).
- ``risk``: churn-risk tags, the score, training, real-time re-scoring and outreach.
  Entry points: ``risk.service.RiskService``, ``risk.cli`` (``risk train|score``).
- ``care``: proactive care rules fired by events, and their webhooks. Entry point:
  ``care.service.CareService`` (built by ``retention``).
- ``retention``: the screen pop, next best action, offers, lifecycle, A/B arms and the
  report. Entry points: ``retention.service.Retention``, ``retention.http.routes``,
  ``retention.cli`` (``report ab``).

Shared by them, at this level: ``schema`` (the profile store's tables), ``value``
(lifetime value, spend, loyalty), ``ruleset`` (the supervisor's rule files) and
``webhook`` (queued webhook delivery). Synthetic customers are in ``engine.sim.customers``.
"""
