"""The outcomes domain's functions, one module per concern; the only writers of its tables."""
