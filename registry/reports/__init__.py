"""Signed PDF compliance reports: PDF/A-3b documents with their ledger evidence embedded and a PAdES signature."""
