"""The stream's event contract, its one source: a JSON Schema per event type
(``events/``), the frozen copy of every released version (``released/``) and the
AsyncAPI document (``asyncapi.yaml``). ``python -m contract`` writes the copies the
deployed zip, the producer package and the docs carry (``copies``); ``python -m
contract release`` freezes the current versions (``compat``). Not deployed."""
