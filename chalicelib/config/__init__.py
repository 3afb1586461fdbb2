"""The config service: versioned keys with compare-and-set, history and rollback,
envelope-encrypted secrets, prefix-scoped API keys, and the client library
(``client.py``) through which every function of the app reads its settings.

Layered by file: ``rules`` (no SDK), ``service`` (use cases and ports), ``store`` and
``crypto`` (the only AWS code) with twins in ``memory``, ``routes`` (the blueprint),
``wiring`` (this package's composition root).
"""
