"""The outcomes domain's pages: the framework, scorecards with their charts and exports, and definitions."""
