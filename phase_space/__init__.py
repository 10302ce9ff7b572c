"""Phase-space mappings on the Python array API (see README)."""
