"""A reader of SIE files written here from the SIE 4 specification (not from the writer's own
code), for the tests of the writer (test_sie.py) and of the export (test_expense_sie_export.py):
the fields of each line, the accounts, objects and vouchers with their rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


def tokenize(line: str) -> list[str | list[str]]:
    """The fields of one line: a quoted string (\\" is a quote inside it), an object list
    {...} (itself a list of fields), or a bare token up to the next space."""
    fields: list[str | list[str]] = []
    position = 0
    while position < len(line):
        char = line[position]
        if char == " ":
            position += 1
        elif char == '"':
            text, position = _quoted_field(line, position + 1)
            fields.append(text)
        elif char == "{":
            end = line.index("}", position)
            inner = tokenize(line[position + 1 : end])
            fields.append([field for field in inner if isinstance(field, str)])
            position = end + 1
        else:
            end = line.find(" ", position)
            end = len(line) if end == -1 else end
            fields.append(line[position:end])
            position = end
    return fields


def _quoted_field(line: str, position: int) -> tuple[str, int]:
    text = ""
    while line[position] != '"':
        if line[position] == "\\" and line[position + 1] == '"':
            position += 1
        text += line[position]
        position += 1
    return text, position + 1


@dataclass
class ReadVoucher:
    series: str
    number: str
    date: str
    text: str
    rows: list[tuple[int, list[str], Decimal, str, str | None]] = field(default_factory=list)


@dataclass
class ReadFile:
    labels: list[str] = field(default_factory=list)  # every item's label, in file order
    items: dict[str, list[str | list[str]]] = field(default_factory=dict)  # the last of each
    accounts: dict[int, str] = field(default_factory=dict)
    objects: dict[tuple[int, str], str] = field(default_factory=dict)
    vouchers: list[ReadVoucher] = field(default_factory=list)


def read_sie(data: bytes) -> ReadFile:
    text = data.decode("cp437")
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert not any("\n" in line or "\r" in line for line in lines), "CRLF line ends only"
    result = ReadFile()
    voucher: ReadVoucher | None = None
    for line in lines:
        if line in ("{", "}"):
            assert voucher is not None
            result.labels.append(line)
            continue
        label, *fields = tokenize(line)
        assert isinstance(label, str) and label.startswith("#"), line
        result.labels.append(label)
        result.items[label] = fields
        if label == "#KONTO":
            result.accounts[int(str(fields[0]))] = str(fields[1])
        elif label == "#OBJEKT":
            result.objects[(int(str(fields[0])), str(fields[1]))] = str(fields[2])
        elif label == "#VER":
            series, number, day, voucher_text = (str(value) for value in fields[:4])
            voucher = ReadVoucher(series, number, day, voucher_text)
            result.vouchers.append(voucher)
        elif label == "#TRANS":
            assert voucher is not None and result.labels[-2] in ("{", "#TRANS"), line
            account, objects, amount, row_day, *rest = fields
            assert isinstance(objects, list) and isinstance(amount, str)
            assert amount == f"{Decimal(amount):.2f}", "two decimals, a decimal point"
            row_text = str(rest[0]) if rest else None
            voucher.rows.append(
                (int(str(account)), objects, Decimal(amount), str(row_day), row_text)
            )
    return result
