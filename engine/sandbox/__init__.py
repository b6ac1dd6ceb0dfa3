"""The sandbox Asterisk for tests, the demo and benchmarks (docs/sandbox.md).

Entry points: ``asterisk.Sandbox`` (``up``/``down``), ``rootfs`` (the cached Debian root
filesystem, ``sandbox build``), ``redis.RedisServer`` (a private redis-server) and
``cli.register`` (``python -m engine sandbox ...``).
"""
