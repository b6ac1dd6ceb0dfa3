"""Profile events in, the profile store's rows out.

Entry points:

- ``service.ProfileStore``: ``ingest(events)`` parses (``events``, ``event_fields``),
  writes a batch in one transaction (``event_rows``) and hands the stored events to
  listeners; ``customer(id)`` and ``history(id)`` read through ``store``.
- ``http.routes``: ``POST /profiles/events[/batch]``, ``GET /profiles/customers/{id}[/events]``.
- ``lookup.StoreLookup``: caller ID -> customer (``phones`` holds the number forms).
- ``cli``: ``python -m engine profiles import|generate`` (``importer`` reads the files).
"""
