"""The foundation: settings, the database, security primitives, users and roles, the agencies of the place."""
