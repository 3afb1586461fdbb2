"""Event blueprints: the dispatcher (Kinesis) and the add-to-feed workers (SNS)."""
