"""The demo place: Riverford, its agencies and one user for each role."""
