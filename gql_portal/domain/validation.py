"""Input checks shared by mutations; each collects into `Problems` under the client's field name."""

from __future__ import annotations

import re

from gql_portal.errors import Problems

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,24}$")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "123456789a",
        "password123",
        "password1234",
        "qwertyuiop",
        "losenord123",
        "lösenord123",
        "sommar2025!",
        "sommar2026!",
        "vinter2026!",
        "iloveyou123",
        "abcdefghij",
        "0123456789",
    }
)


def clean_text(
    problems: Problems, field: str, value: str, *, max_length: int = 200, required: bool = True
) -> str:
    text = " ".join(value.split())
    if required and not text:
        problems.add(field, "REQUIRED", "must not be empty")
    elif len(text) > max_length:
        problems.add(field, "TOO_LONG", f"must be at most {max_length} characters")
    return text


def clean_email(problems: Problems, field: str, value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        problems.add(field, "INVALID_EMAIL", "is not a valid email address")
    return email


def clean_phone(problems: Problems, field: str, value: str) -> str:
    phone = value.strip()
    digits = sum(c.isdigit() for c in phone)
    if not _PHONE.match(phone) or digits < 6:
        problems.add(field, "INVALID_PHONE", "is not a valid phone number, e.g. 070-123 45 67")
    return phone


def check_password(problems: Problems, field: str, password: str, *, email: str = "") -> None:
    """Long enough, not a well-known password, not the email address: NIST 800-63B style."""
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.add(
            field, "WEAK_PASSWORD", f"must be at least {MIN_PASSWORD_LENGTH} characters long"
        )
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.add(field, "TOO_LONG", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    elif password.lower() in _COMMON_PASSWORDS or len(set(password)) < 4:
        problems.add(field, "WEAK_PASSWORD", "is too easy to guess")
    elif email and email.split("@")[0] and email.split("@")[0] in password.lower():
        problems.add(field, "WEAK_PASSWORD", "must not contain your email address")
