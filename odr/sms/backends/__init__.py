"""SMS backends."""
