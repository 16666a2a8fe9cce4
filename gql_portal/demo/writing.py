"""Writing a batch: rows as plain dicts through Core `insert(Model.__table__)` in executemany
chunks, one transaction per batch, while a worker thread stores the batch's receipt images.
Ids that other rows refer to are assigned by the builders (from `next_ids`), and PostgreSQL's
sequences moved past them at the end (`finish`)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.db.settings import TimeCode, add_company_defaults
from gql_portal.demo.builder import TABLES, Batch, Row
from gql_portal.demo.receipts import store_receipts
from gql_portal.storage import FileStore, StoredFile

CHUNK_ROWS = 5_000  # rows per executemany
SQLITE_CACHE_KIB = 256 * 1024

# Tables whose ids are assigned here (other rows refer to them).
OWN_IDS = ("companies", "users", "employees", "customers", "projects", "activities", "expenses")
COUNTED = (
    "companies",
    "users",
    "memberships",
    "collaborations",
    "company_settings",
    "time_codes",
    "employees",
    "schedules",
    "customers",
    "projects",
    "activities",
    "project_assignments",
    "time_entries",
    "week_attestations",
    "absences",
    "expenses",
    "receipts",
    "payroll_periods",
)


async def insert_rows(connection: AsyncConnection, table: Table, rows: list[Row]) -> None:
    for start in range(0, len(rows), CHUNK_ROWS):
        await connection.execute(insert(table), rows[start : start + CHUNK_ROWS])


async def write(database: Database, storage: FileStore, batch: Batch) -> None:
    """The batch's rows in one transaction: the companies and their defaults (settings, time
    codes) first, then every other table in order; the receipts once their files are stored."""
    jobs = [(job.company_id, job.image) for job in batch.receipts]
    files = asyncio.create_task(store_receipts(storage, jobs))
    try:
        async with database.transaction() as session:
            connection = await session.connection()
            if connection.dialect.name == "sqlite":
                # A bigger page cache for this connection: the indexes of a big load are
                # written in no particular order, and the default 2 MB thrashes.
                await connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            await insert_rows(connection, Company.__table__, batch.rows["companies"])  # type: ignore[arg-type]
            for company_id, created in batch.companies:
                add_company_defaults(session, company_id, created)
            await session.flush()
            session.expunge_all()
            await _use_time_code_ids(connection, batch)
            for table in TABLES[1:]:
                if table.name == "receipts":
                    _receipt_rows(batch, await files)
                await insert_rows(connection, table, batch.rows[table.name])
    finally:
        await asyncio.wait([files])  # never leave the writer running (nor its error unseen)
        if not files.cancelled():
            files.exception()


async def _use_time_code_ids(connection: AsyncConnection, batch: Batch) -> None:
    """The time entries were built with their codes ("ARB"): now the company's code ids."""
    company_ids = [company_id for company_id, _ in batch.companies]
    codes = TimeCode.__table__.c
    found = await connection.execute(
        select(codes.company_id, codes.code, codes.id).where(codes.company_id.in_(company_ids))
    )
    code_ids = {(company_id, code): code_id for company_id, code, code_id in found}
    for row in batch.rows["time_entries"]:
        row["time_code_id"] = code_ids[row["company_id"], row["time_code_id"]]


def _receipt_rows(batch: Batch, stored: list[StoredFile]) -> None:
    batch.rows["receipts"] = [
        {
            "company_id": job.company_id,
            "expense_id": job.expense_id,
            "employee_id": job.employee_id,
            "file_name": job.file_name,
            "content_type": "image/png",
            "size_bytes": file.size_bytes,
            "sha256": file.sha256,
            "storage_key": file.storage_key,
            "uploaded_at": job.uploaded_at,
        }
        for job, file in zip(batch.receipts, stored, strict=True)
    ]


async def next_ids(database: Database) -> dict[str, int]:
    """The first free id of each table whose ids the builders assign."""
    async with database.session() as session:
        return {
            name: int(
                await session.scalar(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {name}")) or 1
            )
            for name in OWN_IDS
        }


async def finish(database: Database) -> dict[str, int]:
    """Move PostgreSQL's id sequences past the ids assigned here, refresh the planner's
    statistics, and count the rows."""
    if database.engine.dialect.name == "postgresql":
        async with database.transaction() as session:
            for name in OWN_IDS:
                await session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
                    )
                )
    async with database.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    async with database.session() as session:
        return {
            name: int(await session.scalar(text(f"SELECT COUNT(*) FROM {name}")) or 0)
            for name in COUNTED
        }
