"""The HTTP edge: JSON API blueprints, request parsing, error rendering, OpenAPI."""
