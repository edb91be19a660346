"""The ledger: append-only, hash-chained, Merkle-committed event log and its signed checkpoints."""
