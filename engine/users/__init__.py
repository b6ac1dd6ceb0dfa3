"""People and machine clients of the HTTP API: users with roles, sessions, per-client tokens."""
