"""Authentication and the locks on every door: sessions, API tokens, the per-route permission guard,
CSRF, login throttling and the security headers."""
