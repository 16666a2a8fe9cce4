"""The permission matrix: which actor reaches which area of a client's data, and how far.

This table is the single source of truth (docs/permissions.md is written from it). The per-role
schemas, every field's permission class and the row scoping of the data layer are all derived
from it; nothing else in the code decides access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class Area(StrEnum):
    COMPANY_IDENTITY = "COMPANY_IDENTITY"
    EMPLOYEE_CONTACT = "EMPLOYEE_CONTACT"
    EMPLOYEE_SALARY = "EMPLOYEE_SALARY"
    PAYROLL_BASIS = "PAYROLL_BASIS"
    EXPENSES_RECEIPTS = "EXPENSES_RECEIPTS"
    TIME = "TIME"
    ABSENCE = "ABSENCE"
    PROJECTS = "PROJECTS"
    SCHEDULES = "SCHEDULES"
    SETTINGS = "SETTINGS"
    USERS = "USERS"
    INTEGRATIONS = "INTEGRATIONS"
    COLLABORATIONS = "COLLABORATIONS"
    AUDIT = "AUDIT"


class Actor(StrEnum):
    """Who acts on a company's data. A FULL partner acts only after logging in to the company.
    A firm's assistant works in the partner portal only, reading what the firm's other users
    read there of the clients it reaches and changing nothing (issue 20)."""

    ADMIN = "ADMIN"
    FULL_PARTNER = "FULL_PARTNER"
    LIMITED_PARTNER = "LIMITED_PARTNER"
    EMPLOYEE = "EMPLOYEE"
    ASSISTANT = "ASSISTANT"


class Reach(IntEnum):
    """How far a right goes: not at all, the actor's own rows, or every row of the company."""

    NONE = 0
    OWN = 1
    ALL = 2


class Op(StrEnum):
    READ = "READ"
    WRITE = "WRITE"  # create, update, submit
    MANAGE = "MANAGE"  # create, remove, attest, approve, lock: the admin's "all"
    EXPORT = "EXPORT"


@dataclass(frozen=True)
class Grant:
    read: Reach = Reach.NONE
    write: Reach = Reach.NONE
    manage: Reach = Reach.NONE
    export: Reach = Reach.NONE

    def reach(self, op: Op) -> Reach:
        # The field named as the op (READ: `read`, ...): asked per object and field, so no dict
        # of all four is built per call.
        reached: Reach = getattr(self, op.lower())
        return reached


NO = Grant()
ALL = Grant(Reach.ALL, Reach.ALL, Reach.ALL, Reach.ALL)
READ = Grant(read=Reach.ALL)
READ_WRITE = Grant(read=Reach.ALL, write=Reach.ALL)
# Create and remove employees too: admin work, not a LIMITED partner's.
READ_WRITE_MANAGE = Grant(read=Reach.ALL, write=Reach.ALL, manage=Reach.ALL)
READ_EXPORT = Grant(read=Reach.ALL, export=Reach.ALL)
OWN_READ = Grant(read=Reach.OWN)
OWN_READ_WRITE = Grant(read=Reach.OWN, write=Reach.OWN)
OWN_COLLABORATION = Grant(read=Reach.OWN, write=Reach.OWN)  # read it, end it

A, F, L, E = Actor.ADMIN, Actor.FULL_PARTNER, Actor.LIMITED_PARTNER, Actor.EMPLOYEE
S = Actor.ASSISTANT

MATRIX: dict[Area, dict[Actor, Grant]] = {
    # Write: the identity's keepers, who alone see a sole trader's organisation number (its
    # owner's personnummer) in full; everyone else sees it masked (permissions/rules.py).
    Area.COMPANY_IDENTITY: {A: READ_WRITE, F: READ_WRITE, L: READ, E: READ, S: READ},
    Area.EMPLOYEE_CONTACT: {
        A: READ_WRITE_MANAGE,
        F: READ_WRITE_MANAGE,
        L: READ_WRITE,
        E: OWN_READ_WRITE,
        S: READ,
    },
    Area.EMPLOYEE_SALARY: {A: READ_WRITE, F: READ_WRITE, L: READ_WRITE, E: OWN_READ, S: READ},
    Area.PAYROLL_BASIS: {A: ALL, F: ALL, L: READ_EXPORT, E: OWN_READ, S: READ},
    Area.EXPENSES_RECEIPTS: {A: ALL, F: ALL, L: READ_EXPORT, E: OWN_READ_WRITE, S: READ},
    Area.TIME: {A: ALL, F: ALL, L: NO, E: OWN_READ_WRITE, S: NO},
    Area.ABSENCE: {A: ALL, F: ALL, L: NO, E: OWN_READ_WRITE, S: NO},
    Area.PROJECTS: {A: ALL, F: ALL, L: NO, E: OWN_READ, S: NO},  # own = assigned projects
    Area.SCHEDULES: {A: ALL, F: ALL, L: NO, E: OWN_READ, S: NO},
    Area.SETTINGS: {A: ALL, F: ALL, L: NO, E: NO, S: NO},
    Area.USERS: {A: ALL, F: ALL, L: NO, E: NO, S: NO},
    Area.INTEGRATIONS: {A: ALL, F: ALL, L: NO, E: NO, S: NO},
    # The assistant sees its firm's collaborations but neither ends nor answers one.
    Area.COLLABORATIONS: {
        A: ALL,
        F: OWN_COLLABORATION,
        L: OWN_COLLABORATION,
        E: NO,
        S: OWN_READ,
    },
    Area.AUDIT: {A: READ, F: READ, L: NO, E: NO, S: NO},
}


# The firm's own data in the partner portal, by the user's role in the firm (ADMIN, EMPLOYEE:
# a consultant, ASSISTANT): every colleague sees the firm and its users; the firm's admins
# invite and remove colleagues. (The firm's other company areas are closed once it is
# activated: only the portal is open.)
FIRM_MATRIX: dict[Area, dict[Actor, Grant]] = {
    Area.COMPANY_IDENTITY: {A: READ_WRITE, E: READ, S: READ},
    Area.USERS: {A: ALL, E: READ, S: READ},
}

# What a LIMITED collaboration (and every client in the portal) reaches.
LIMITED_PARTNER_AREAS = tuple(
    area for area in Area if MATRIX[area][Actor.LIMITED_PARTNER].read is Reach.ALL
)


def grant(area: Area, actor: Actor) -> Grant:
    return MATRIX[area][actor]


def reach(area: Area, actor: Actor, op: Op) -> Reach:
    return MATRIX[area][actor].reach(op)


def firm_reach(area: Area, actor: Actor, op: Op) -> Reach:
    """How far a firm's user (its ADMIN, EMPLOYEE or ASSISTANT) reaches the firm's own `area`."""
    grants = FIRM_MATRIX.get(area)
    return grants[actor].reach(op) if grants and actor in grants else Reach.NONE
