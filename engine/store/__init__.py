"""SQLite for every domain: ``database.Database`` runs each statement on one thread.

Domains declare their tables and migrations in their ``schema.py`` and their queries in
their ``store.py``.
"""
