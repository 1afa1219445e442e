"""IMAP mailboxes: their settings, the IMAP connection, and polling them into Amity.

A mailbox is polled for messages newer than its cursor (UIDVALIDITY + last seen UID). Each
message goes, by the mailbox's purpose, through email to ticket (``tickets``) or onto the
timelines of the known contacts among its sender and recipients (``timeline``); the cursor
advances in the same transaction as what the message stored.
"""
