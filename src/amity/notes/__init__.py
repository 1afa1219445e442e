"""Notes: free text attached to any record (contact, company; later deals and tickets)."""
