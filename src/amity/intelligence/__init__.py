"""Intelligence: predictions learned from the business's own history, computed by jobs.

Owns customer lifetime value (BG/NBD + Gamma-Gamma, ``clv``), churn risk (a calibrated
logistic regression with plain-words reasons and a rule-based fallback, ``churn`` and
``features``), the best hour of the week to contact someone (``contact_time``), the fitted
models with their diagnostics (``model_fits``) and the stored predictions
(``customer_predictions``), and the early-value report (``early_value``: first-days
behaviours against first-year value, lifts with bootstrap intervals, the in-window segment).
Nothing here runs in a request: jobs and the CLI fit and score,
pages and the API read the stored rows (``queries``).
"""
