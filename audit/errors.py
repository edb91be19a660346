"""The one exception type every failed verification in audit/ derives from."""


class VerificationError(Exception):
    """Evidence (a proof, a note, a checkpoint) did not verify or could not be read."""
