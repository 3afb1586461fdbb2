"""The local stack of this project: emulator, infrastructure, event runtime, HTTP API.

Not deployed. ``python -m devstack`` (``make run``) brings it all up; the tests use
the same pieces to start their own emulator on free ports.
"""
