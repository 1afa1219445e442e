"""Users, API tokens and the access chokepoint (``access.py``) every record request goes through."""
