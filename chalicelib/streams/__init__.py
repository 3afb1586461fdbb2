"""Batch processing of stream records with an explicit, named failure policy."""
