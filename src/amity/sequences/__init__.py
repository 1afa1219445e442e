"""Sequences: ordered steps (send an email template, create a task, wait) run for enrolled
contacts until the last step, or until the contact replies, books a meeting, unsubscribes or
wins a deal."""
