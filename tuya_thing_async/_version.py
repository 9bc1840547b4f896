"""The package version, in a module of its own (importable without the rest)."""

__version__ = "0.1.0"
