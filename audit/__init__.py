"""Serial Ledger's audit library: Merkle trees, signed notes, checkpoints, proofs and canonical JSON."""
