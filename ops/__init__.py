"""Operator commands for a deployed stage (local or AWS); not deployed themselves."""
