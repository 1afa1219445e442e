"""What each KPI means: one sentence per key, shown on hover in the dashboard and in the API.

``better`` says which direction is good, so a trend can be coloured without guessing.
"""

from __future__ import annotations

from typing import Literal

Better = Literal["up", "down"]

# key -> (label, unit, better, definition)
KPIS: dict[str, tuple[str, str, Better, str]] = {
    "retention_rate": (
        "Retention rate", "ratio", "up",
        "Of the customers active at the start of the period (a counted order in the N days "
        "before it), the share still active at its end (a counted order in the N days before "
        "the end). A customer who lapses and buys again before the end counts as retained."),
    "churn_rate": (
        "Churn rate", "ratio", "down",
        "1 - retention rate: customers active at the start with no counted order in the N days "
        "before the end."),
    "customers_at_start": (
        "Active customers at start", "count", "up",
        "Customers with a counted order in the N days before the period starts."),
    "revenue": ("Revenue", "money", "up",
                "Sum of the totals of counted orders (placed, paid, fulfilled) in the period, "
                "in the chosen currency."),
    "orders": ("Orders", "count", "up", "Counted orders placed in the period."),
    "customers": ("Buying customers", "count", "up",
                  "Distinct contacts with a counted order in the period."),
    "average_order_value": ("Average order value", "money", "up",
                            "Revenue / orders, over the period."),
    "purchase_frequency": ("Purchase frequency", "number", "up",
                           "Orders / buying customers, over the period."),
    "historical_clv": (
        "Customer lifetime value (historical)", "money", "up",
        "Revenue of all counted orders up to the end of the period / the number of customers "
        "who placed them: what a customer has been worth so far, on average."),
    "win_rate": ("Win rate", "ratio", "up",
                 "Deals won / deals won or lost, over the deals closed in the period (a deal "
                 "reopened after it was lost counts once, by its final outcome)."),
    "deals_won": ("Deals won", "count", "up", "Deals closed as won in the period."),
    "won_amount": ("Won amount", "money", "up",
                   "Sum of the amounts of the deals won in the period, in the chosen currency."),
    "sales_cycle_days": ("Sales cycle (days)", "days", "down",
                         "Average days from a deal's creation to its win, over the deals won "
                         "in the period."),
    "pipeline_velocity": (
        "Pipeline velocity (per day)", "money", "up",
        "Deals created in the period x win rate x average won amount / sales-cycle days: the "
        "value the pipeline turns into revenue per day."),
    "forecast": ("Forecast", "money", "up",
                 "Sum of the amounts of deals whose expected close date is in the period, in "
                 "the chosen currency."),
    "forecast_attainment": ("Actual vs forecast", "ratio", "up",
                            "Won amount in the period / forecast."),
    "calls_per_day": ("Calls per day", "number", "up",
                      "Calls logged in the period / days in the period."),
    "emails_sent": ("Emails sent", "count", "up", "Outbound emails in the period."),
    "meetings": ("Meetings", "count", "up", "Meetings held in the period."),
    "deals_won_per_rep": ("Deals won per rep", "number", "up",
                          "Deals won in the period / reps (the chosen owner, the team's "
                          "members, or every active user)."),
    "tickets_resolved": ("Tickets resolved", "count", "up",
                         "Tickets with their resolution time in the period."),
    "first_response_hours": ("First response (hours)", "hours", "down",
                             "Average hours from a ticket's creation to its first response, "
                             "over the tickets first answered in the period."),
    "resolution_hours": ("Resolution time (hours)", "hours", "down",
                         "Average hours from a ticket's creation to its resolution, over the "
                         "tickets resolved in the period."),
    "csat": ("CSAT", "score", "up",
             "Average satisfaction score (1-5) of the surveys answered in the period."),
}
