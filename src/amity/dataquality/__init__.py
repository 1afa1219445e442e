"""Data-quality audit: how complete, fresh and valid the contact records are (per field and per
record, computed as single SQL aggregates), the open duplicate backlog, unused custom fields,
a quality score per contact, and the data stewards who receive a weekly digest of it."""
