"""Outbound webhooks and the event stream to a message broker.

Owns webhook subscriptions, their delivery log, request signing, and the broker publisher's
cursor over the events outbox.
"""
