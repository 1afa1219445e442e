"""List views: saved views of a list (filters, sort, columns), private to their owner or shared
with everyone or one team, and bulk actions over a list's selection.

Owns the ``saved_views`` table. A view's params are validated here, never trusted from storage;
bulk actions change records only through their domains' services (audited, with events) and
only those the actor may edit: the others are reported, not changed.
"""

from amity.views.models import SavedView
from amity.views.schemas import ViewCreate, ViewParams, ViewRead, ViewUpdate
from amity.views.service import (
    access_view,
    create_view,
    delete_view,
    update_view,
    visible_views,
)

__all__ = ["SavedView", "ViewCreate", "ViewParams", "ViewRead", "ViewUpdate", "access_view",
           "create_view", "delete_view", "update_view", "visible_views"]
