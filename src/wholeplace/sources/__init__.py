"""Sources: the common data standard, source mappings, validation, quarantine, provenance and the lake."""
