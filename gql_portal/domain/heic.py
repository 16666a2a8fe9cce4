"""HEIC/HEIF photos (what phones take receipts with), recognised by their first bytes.

A HEIF file is an ISO base media file (ISO/IEC 14496-12) whose first box is `ftyp`: a 4-byte
big-endian box size, `ftyp`, the major brand, a 4-byte minor version, then compatible brands
(4 bytes each) to the end of the box. The brands say what the file holds (ISO/IEC 23008-12):
`heic`/`heix` (HEVC still images), `heim`/`heis` (multi-layer and scalable HEVC), `hevc`/`hevx`
(HEVC image sequences), `mif1`/`msf1` (any HEIF image or sequence). A phone's photo is `heic`.

Only the ftyp box is read: the bytes are kept as uploaded (never converted), served as
image/heic (HEVC) or image/heif (another codec in a HEIF file, e.g. an `mif1` file).
"""

from __future__ import annotations

HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
HEIF_BRANDS = frozenset({b"mif1", b"msf1"})
HEIC_TYPE = ("image/heic", ".heic")
HEIF_TYPE = ("image/heif", ".heif")

_MIN_BOX = 16  # size, `ftyp`, major brand, minor version
SNIFF_BYTES = 64  # enough for the ftyp box of any phone's photo (its brands come first)


def _ftyp_brands(head: bytes) -> tuple[bytes, list[bytes]] | None:
    """The major brand and the compatible brands of a leading ftyp box, None if there is none."""
    if len(head) < _MIN_BOX or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    if size < _MIN_BOX or (size - _MIN_BOX) % 4:
        return None  # size 0 or 1 (to the end, 64-bit) never occur for ftyp; a torn box is junk
    box = head[: min(size, SNIFF_BYTES)]  # the brands past the first few are not needed
    compatible = [box[offset : offset + 4] for offset in range(_MIN_BOX, len(box) - 3, 4)]
    return head[8:12], compatible


def sniff_heif(head: bytes) -> tuple[str, str] | None:
    """(content type, file suffix) of a HEIC or HEIF file by its ftyp box; None otherwise.

    A HEVC major brand is HEIC; a generic one (`mif1`, `msf1`) is HEIC when a compatible brand
    says HEVC, else HEIF. Other ISO media (MP4 video, AVIF with major brand `avif`) is not a
    receipt."""
    brands = _ftyp_brands(head)
    if brands is None:
        return None
    major, compatible = brands
    if major in HEVC_BRANDS:
        return HEIC_TYPE
    if major in HEIF_BRANDS:
        return HEIC_TYPE if HEVC_BRANDS.intersection(compatible) else HEIF_TYPE
    return None
