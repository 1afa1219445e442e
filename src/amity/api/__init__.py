"""HTTP plumbing only: dependencies, problem+json errors, and the v1 routers.

Routers live here rather than inside the domain packages so that domains never import FastAPI
(enforced by import-linter); each router stays thin: validate, access, one service call, schema.
"""
