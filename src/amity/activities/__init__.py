"""Interactions on every channel, tasks and reminders, and the merged customer timeline."""
