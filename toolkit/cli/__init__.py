"""Command-line shells over the library (no logic lives only here)."""
