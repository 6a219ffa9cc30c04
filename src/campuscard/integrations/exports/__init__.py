"""Access-control file exports: formats as data (see formats.py and docs/exports.md)."""
