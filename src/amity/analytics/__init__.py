"""Analytics: the KPIs, analyses and leaderboards that tell a business whether its
relationships are working.

Owns read-only aggregates over other domains' tables (contacts, orders, deals, interactions,
tickets): ``periods`` turns business-time-zone dates into UTC instants, ``kpis`` computes the
dashboard, ``analyses`` the cohort, RFM, repeat-purchase and attribution tables, ``relationship``
a contact's value beyond revenue and ``leaderboards`` the per-rep tables. Every number is a
single SQL aggregate (no Python loop over rows); definitions live next to the numbers in
``definitions`` so the API, the page and the docs say the same thing.
"""
