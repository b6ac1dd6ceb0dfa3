"""Seeded synthetic customers for tests, benchmarks and demos.

Entry points: ``generate.customer(i, seed, end, days)`` (one customer's events and churn
label, pure; ``words`` gives names and messages), ``write.write_events`` (JSONL in time
order, used by ``python -m engine profiles generate``) and ``write.bulk_load`` (straight
into SQLite).
"""
