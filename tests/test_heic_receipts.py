"""HEIC receipts (issue 14, point 8): a phone's photo is accepted as it was taken.

The file is recognised by its ISO-BMFF `ftyp` box (domain/heic.py), never by its name or the
declared type; the bytes are stored and served unchanged (image/heic, as an attachment like
every receipt), and the expenses ZIP names the entry `.heic`.
"""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql_portal.domain.heic import sniff_heif
from gql_portal.runtime import Runtime
from gql_portal.storage import Storage
from tests.conftest import Api, only_error
from tests.factories import Factory
from tests.test_expenses import APPROVE, attach, submit, tiny_jpeg, upload
from tests.test_exports import download as download_export
from tests.test_exports import exported
from tests.test_exports_files import EXPORT_EXPENSES
from tests.test_payroll import open_period


@pytest.fixture(autouse=True)
def storage(runtime: Runtime, tmp_path: Path) -> Storage:
    runtime.storage = Storage(tmp_path / "storage")
    return runtime.storage


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    """An ftyp box: size, `ftyp`, major brand, minor version 0, compatible brands."""
    brands = b"".join(compatible)
    return struct.pack(">I", 16 + len(brands)) + b"ftyp" + major + b"\x00\x00\x00\x00" + brands


def iphone_heic() -> bytes:
    """The start of an iPhone photo: ftyp heic (mif1, MiHE, miaf, MiHB, heic), then a meta box
    and image data (stand-ins: only the first box decides the type)."""
    meta = struct.pack(">I", 20) + b"meta" + b"\x00" * 12
    return ftyp(b"heic", b"mif1", b"MiHE", b"miaf", b"MiHB", b"heic") + meta + bytes(range(256))


def test_the_ftyp_box_decides_heic_or_heif() -> None:
    assert sniff_heif(iphone_heic()) == ("image/heic", ".heic")
    for major in (b"heix", b"heim", b"heis", b"hevc", b"hevx"):
        assert sniff_heif(ftyp(major, b"mif1")) == ("image/heic", ".heic"), major
    # A generic HEIF brand: HEIC when a compatible brand says HEVC, else plain HEIF.
    assert sniff_heif(ftyp(b"mif1", b"heic")) == ("image/heic", ".heic")
    assert sniff_heif(ftyp(b"msf1", b"hevc")) == ("image/heic", ".heic")
    assert sniff_heif(ftyp(b"mif1", b"miaf")) == ("image/heif", ".heif")
    # Other ISO media, torn boxes and other files are not HEIC.
    for content in (
        ftyp(b"isom", b"mp41"),  # an MP4 video
        ftyp(b"avif", b"mif1"),  # AVIF
        ftyp(b"qt  "),
        b"\x00\x00\x00\x18ftypheic",  # cut short
        b"\x00\x00\x00\x11ftypheic\x00\x00\x00\x00mif1",  # a size that is no box
        tiny_jpeg(),
        b"",
        b"heic" * 10,
    ):
        assert sniff_heif(content) is None, content


async def test_a_heic_photo_is_kept_byte_for_byte_and_named_heic_in_the_zip(
    client: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    photo = iphone_heic()
    payload = await attach(
        client,
        me.token,
        expense["id"],
        photo,
        file_name="IMG_4711.HEIC",
        content_type="application/octet-stream",  # what some phones declare
    )
    receipt = payload["receipt"]
    assert (receipt["fileName"], receipt["contentType"], receipt["sizeBytes"]) == (
        "IMG_4711.HEIC",
        "image/heic",
        len(photo),
    )

    served = await client.get(receipt["url"], headers={"authorization": f"Bearer {me.token}"})
    assert served.status_code == 200, served.text
    assert served.content == photo
    assert served.headers["content-type"] == "image/heic"
    assert served.headers["content-disposition"].startswith("attachment")

    approved = await api(APPROVE, {"id": expense["id"]}, token=admin.token)
    assert "errors" not in approved, approved
    period = await open_period(api, admin.token)
    made = exported(
        await api(EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}, token=admin.token),
        "exportExpenses",
    )
    archive = await download_export(api, made["downloadUrl"], token=admin.token)
    entries = zipfile.ZipFile(io.BytesIO(archive.content))
    receipts = [name for name in entries.namelist() if name.startswith("kvitton/")]
    assert len(receipts) == 1 and receipts[0].endswith(".heic"), receipts
    assert entries.read(receipts[0]) == photo


async def upload_error(
    client: httpx.AsyncClient, token: str, expense_id: str, content: bytes, name: str
) -> dict[str, Any]:
    response = await upload(
        client, token, expense_id, content, file_name=name, content_type="image/heic"
    )
    assert response.status_code == 200, response.text
    return only_error(response.json())


async def test_a_heic_name_does_not_make_a_file_heic(
    client: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    # A JPEG called .heic is a JPEG (the name takes the detected type's extension).
    jpeg = await attach(
        client,
        me.token,
        expense["id"],
        tiny_jpeg(),
        file_name="kvitto.heic",
        content_type="image/heic",
    )
    assert (jpeg["receipt"]["contentType"], jpeg["receipt"]["fileName"]) == (
        "image/jpeg",
        "kvitto.heic.jpg",
    )
    # Text, or a video's ftyp box, called .heic: refused as any unknown file.
    for content in (b"not a photo at all\n", ftyp(b"isom", b"mp41") + b"\x00" * 64):
        error = await upload_error(client, me.token, expense["id"], content, "IMG_1.heic")
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            "file",
            "UNSUPPORTED_FILE_TYPE",
        )
