"""Inbound calls: the call path from Stasis to a bridged agent (see docs/architecture.md).

Entry points:
- ``state.InboundCall.handle(event, now)``: the pure state machine; ``events`` are its
  inputs, ``actions`` its outputs (``speech_state``/``speech_actions`` for live speech);
- ``runner.CallRunner`` carries one call's actions out against ARI, routing and the store;
- ``service.CallService`` owns the Stasis app: one runner per call, resync on reconnect;
- ``ports``: what the call path needs from routing, profiles and speech (protocols);
- ``http.routes``: ``/calls``, ``/calls/records``, ``/agents/{id}/desk``;
- ``schema.migrations`` (the ``calls`` table) and ``store.CallRecords`` (its queries);
  ``live.LiveCalls`` and ``desk.AgentDesk`` publish live state through Redis.
"""
