"""The only code that talks to AWS, plus an in-memory twin of each port."""
