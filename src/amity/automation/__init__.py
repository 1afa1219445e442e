"""Automation: workflows (a trigger, conditions, actions) kept as immutable versions, the runs
they start (one per trigger occasion and record, with a step log) and the engine that runs them.

A trigger is a domain event (with filters on its data) or a date found by the daily scan
(birthday, important date, days since the last purchase or contact, replacement due).
Conditions are evaluated in SQL against the contact; actions reuse the domains' services
(tasks, notifications, email to contacts, contact fields, tags, owner). Outside actions that
need the job runtime (webhook calls, delayed resumes, sending email) are queued by the caller
through the hooks passed to the engine: this package never imports ``amity.jobs``.
"""
