"""One module per agency source; each turns the world into that agency's extract."""
