"""Duplicate contacts and companies: finding them, merging them, undoing merges.

Owns duplicate suggestions (pairs with a score and readable reasons; open, dismissed or merged),
the scan that refreshes them over the whole database (``scan.py``, blocking + rapidfuzz in
``detect.py``), merges that move every row pointing at the merged records to the survivor, and
the merge records that let a merge be undone exactly (``merge.py``).
"""
