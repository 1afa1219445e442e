"""Contacts (people): identity, channels, consent preferences, personal notes, tags, relations."""
