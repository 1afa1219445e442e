"""One stored embedding per note and per interaction.

``source_updated_at`` is the source row's ``updated_at`` when it was embedded: a row whose
source changed since (or that was embedded by another model) is embedded again by the next
run. Vectors are little-endian float32 bytes (pgvector is not assumed), ranked in numpy.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base
from amity.core.mixins import UUIDPk

SOURCE_TYPES = ("note", "interaction")


class TextEmbedding(UUIDPk, Base):
    __tablename__ = "text_embeddings"
    __table_args__ = (UniqueConstraint("source_type", "source_id"),
                      Index("ix_text_embeddings_source_time", "source_type", "occurred_at"))

    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    occurred_at: Mapped[datetime] = mapped_column()  # the note's creation, the interaction's time
    source_updated_at: Mapped[datetime] = mapped_column()
    model: Mapped[str] = mapped_column(String(60))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(default=now)
