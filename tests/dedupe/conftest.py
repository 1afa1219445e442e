"""Duplicates tests."""
