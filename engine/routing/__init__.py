"""VIP and skill-based routing shared through Redis (issue 3). See docs/routing.md."""
