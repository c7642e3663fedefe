"""The demo place generator: a synthetic town of any size, every agency's extract, and the ground truth."""
