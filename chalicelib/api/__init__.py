"""HTTP blueprints: parse, call one service, shape the response."""
