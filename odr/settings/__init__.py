"""Settings: base (development and embedded defaults), test and production."""
