"""PDF-signing PKI: the development CA and document-signing certificate an instance gets at `init`."""
