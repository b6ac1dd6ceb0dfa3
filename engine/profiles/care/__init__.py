"""Proactive care: rules triggered by a customer's events, not by their risk tier.

Entry point: ``service.CareService`` (``on_event`` for every stored event, a background
webhook sender); the composition root gets it through ``retention.service.Retention``.

``rules`` is the pure core (``skills/care-rules.yaml``, ``evaluate``); ``schema`` holds
the tables and ``store`` the queries that run on the Database thread.
"""
