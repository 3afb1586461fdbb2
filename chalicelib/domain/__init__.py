"""Pure rules of the system: no boto3, no pynamodb, no chalice."""
