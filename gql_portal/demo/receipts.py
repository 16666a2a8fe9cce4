"""Receipt images: small deterministic PNGs of receipts, and storing them."""

from __future__ import annotations

import asyncio
import random
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gql_portal.storage import FileStore, StoredFile

MERCHANT_COLOURS = (
    (200, 30, 45),
    (0, 90, 160),
    (230, 120, 0),
    (0, 130, 70),
    (120, 40, 140),
    (30, 30, 30),
    (0, 150, 170),
)


@dataclass(frozen=True)
class ReceiptImage:
    """A small PNG of a receipt: a paper strip on a desk, a logo, lines of "text", a total and a
    barcode that encodes `serial` (so every receipt is a different file)."""

    serial: int
    width: int
    margin: int
    desk: tuple[int, int, int]
    accent: tuple[int, int, int]
    logo_width: int
    lines: tuple[tuple[int, int], ...]  # (item length, price length) in pixels
    total_length: int

    def png(self) -> bytes:
        width, x0, x1 = self.width, self.margin, self.width - self.margin
        desk, paper, ink, accent, faint = 0, 1, 2, 3, 4
        blank = bytes([desk]) * width
        plain = bytes([desk]) * x0 + bytes([paper]) * (x1 - x0) + bytes([desk]) * (width - x1)

        def bar(*segments: tuple[int, int, int]) -> bytes:
            row = bytearray(plain)
            for start, length, colour in segments:
                row[start : start + length] = bytes([colour]) * length
            return bytes(row)

        rows: list[bytes] = [blank] * 6 + [plain] * 4
        logo_start = (width - self.logo_width) // 2
        rows += [bar((logo_start, self.logo_width, accent))] * 8 + [plain] * 4
        for length in (self.width // 2, self.width // 3):
            rows += [bar(((width - length) // 2, length, faint))] * 2 + [plain] * 3
        rows += [plain] * 3
        for item, price in self.lines:
            rows += [bar((x0 + 5, item, ink), (x1 - 5 - price, price, ink))] * 3 + [plain] * 3
        dashes = bytearray(plain)
        for x in range(x0 + 3, x1 - 3, 4):
            dashes[x : x + 2] = bytes([ink, ink])
        rows += [bytes(dashes)] + [plain] * 3
        rows += [bar((x0 + 5, 22, ink), (x1 - 5 - self.total_length, self.total_length, ink))] * 4
        rows += [plain] * 4 + [bar((x0 + 5, (x1 - x0) // 2, faint))] * 2 + [plain] * 5
        code = bytearray(plain)
        x = x0 + 6
        for bit in range(24):
            thick = (self.serial >> bit) & 1
            code[x : x + 1 + thick] = bytes([ink]) * (1 + thick)
            x += 3 + thick
        rows += [bytes(code)] * 12 + [plain] * 5 + [blank] * 6
        palette = bytes([*self.desk, 252, 251, 246, 38, 38, 46, *self.accent, 150, 150, 158])
        raw = b"".join(b"\x00" + row for row in rows)
        header = struct.pack(">IIBBBBB", width, len(rows), 8, 3, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", header)
            + png_chunk(b"PLTE", palette)
            + png_chunk(b"IDAT", zlib.compress(raw))
            + png_chunk(b"IEND", b"")
        )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def receipt_image(rng: random.Random, serial: int) -> ReceiptImage:
    width = rng.choice((104, 112, 120, 128))
    margin = rng.randint(8, 16)
    inner = width - 2 * margin
    shade = rng.randint(200, 232)
    lines = tuple(
        (rng.randint(inner // 4, inner // 2), rng.randint(10, 20)) for _ in range(rng.randint(2, 7))
    )
    return ReceiptImage(
        serial=serial,
        width=width,
        margin=margin,
        desk=(shade, shade + rng.randint(0, 12), shade + rng.randint(4, 22)),
        accent=rng.choice(MERCHANT_COLOURS),
        logo_width=rng.randint(inner // 3, inner - 12),
        lines=lines,
        total_length=rng.randint(16, 26),
    )


async def store_receipts(
    store: FileStore, jobs: Sequence[tuple[int, ReceiptImage]]
) -> list[StoredFile]:
    """The images rendered (in a worker thread) and put in the storage backend, in order."""
    stored = []
    for company_id, image in jobs:
        data = await asyncio.to_thread(image.png)
        stored.append(await store.put(f"receipts/{company_id}", data, ".png"))
    return stored


@dataclass
class ReceiptJob:
    """A receipt to store and then insert: its row waits for the stored file's key and digest."""

    company_id: int
    expense_id: int
    employee_id: int
    file_name: str
    uploaded_at: datetime
    image: ReceiptImage
