"""Use cases: domain rules joined to ports. No SDK calls here."""
