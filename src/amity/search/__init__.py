"""Global search: one question answered across people, companies, deals and tickets.

Owns no tables. Each group is read through the reader's access scope (``amity.auth.access``),
people with the typo-tolerant contact search, the others by indexed substring (folded names,
ticket subjects and numbers). The number of statements is fixed whatever the number of hits.
"""

from amity.search.queries import GROUPS, SearchHit, SearchResults, global_search

__all__ = ["GROUPS", "SearchHit", "SearchResults", "global_search"]
