"""wholeplace: the agencies of one place working as one system around the people they serve."""

__version__ = "0.1.0"
