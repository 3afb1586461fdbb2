"""Deploy the app to a stage: package, deploy, apply the declared event-source settings.

Not deployed itself. The ``event_source`` blocks of ``.chalice/config.json`` are the one
declaration; ``local_runtime`` reads them locally, this package for ``chalice package``
(a ``--merge-template``) and for ``chalice deploy`` (API calls afterwards).
"""
