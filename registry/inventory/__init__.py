"""Inventory audits: the yearly reconciliation of a licensee's book against its shelf. Serials are
scanned (or pasted) against the items the book says the licensee holds; the audit's working state
is kept in tables of its own, and closing it appends `inventory.audited` with the counts and the
SHA-256 of each list, so the result is on the ledger and a signed report can prove it."""
