"""Shared kernel: database, mixins, types, errors, events, audit, pagination, search, clock.

Imports no domain package; every domain builds on it.
"""
