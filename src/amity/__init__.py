"""Amity: a CRM that remembers every customer and acts on what it knows."""

__version__ = "0.1.0"
