"""The browser pages: agent desk, supervisor wallboard, login; live over server-sent events."""
