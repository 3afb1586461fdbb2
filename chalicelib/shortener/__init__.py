"""The URL shortener: one package, layered by file.

- ``codes``: the code alphabet and the keyed permutation of the counter space (pure)
- ``rules``: what a long URL, a slug and an expiry must be; the link value (pure)
- ``service``: the use cases and the port they need
- ``store``: the DynamoDB adapter (PynamoDB); ``memory``: its in-memory twin
- ``routes``: the HTTP blueprint; ``page``: the HTML of the index and error pages
- ``settings`` and ``wiring``: the package's settings and composition root

Every route is public and lives in the one blueprint ``routes.bp``.
"""
