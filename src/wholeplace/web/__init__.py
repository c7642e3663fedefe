"""The ground floor every page stands on: layout, templating, assets and request-level security."""
