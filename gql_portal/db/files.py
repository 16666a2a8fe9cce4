"""Stored files in the database (the `postgresql:` storage backend, gql_portal/storage):
a file's row and its bytes in numbered chunks, so that no whole file is ever one value."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, UTCDateTime


class StoredFileRow(Base):
    """One stored file. Readers see it only once `committed`: the row and its chunks are written
    in one transaction, and the flag is set last."""

    __tablename__ = "stored_files"

    storage_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    committed: Mapped[bool] = mapped_column(Boolean, default=False)
    # When it was stored, or stored again (the wall clock, as a folder's mtime or an S3 object's
    # LastModified): the orphan sweep measures its age by it. Null before migration 0019: old.
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StoredFileChunk(Base):
    """The `seq`-th chunk (from 0) of a stored file's bytes."""

    __tablename__ = "stored_file_chunks"

    storage_key: Mapped[str] = mapped_column(
        ForeignKey("stored_files.storage_key", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    bytes: Mapped[bytes] = mapped_column(LargeBinary)
