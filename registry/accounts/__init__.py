"""Accounts: users with one role each, their API tokens, and the append-only security log."""
