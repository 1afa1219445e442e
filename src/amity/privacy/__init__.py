"""Privacy (GDPR) tools: export everything held about one person, and erase a person.

Owns no tables: it reads and anonymises the contacts, notes, consents, audit log, events and
idempotency records that other packages own, through one service per operation.
"""
