"""Customer service: tickets, their comments and attachments, SLA policies measured on
business-hours calendars, assignment to agents and teams, and satisfaction surveys.

This package owns the tables ``tickets``, ``ticket_tags``, ``ticket_counters``,
``ticket_comments``, ``ticket_attachments``, ``business_calendars``, ``sla_policies``,
``ticket_sla_events``, ``ticket_surveys``, ``contact_satisfaction``, ``ticket_routing`` and
``ticket_agents``. Other domains read it through ``queries.service_summary``; it reads the
customer's value through ``amity.commerce.history`` and ``amity.deals.models``.
"""
