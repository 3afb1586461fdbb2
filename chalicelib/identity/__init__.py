"""Sign-in: who the caller is (a Cognito token) and whom they may act for.

- ``settings``: the user pool, its app client, its JWKS location, the CORS origins.
- ``tokens``: verifies a bearer token against the pool's JWKS (PyJWT).
- ``access``: the rules of who may act for whom; no SDK, no framework.
- ``middleware``: the Chalice middleware that puts a verified user in force for a
  route marked ``@user_route``, and answers 401/403 before any view code runs.
- ``cors``: the CORS headers and preflight answers for the stage's listed origins.
"""
