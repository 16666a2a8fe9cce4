"""The direction an `orderBy` input orders a list in, shared by every list that has one (each
list's `XOrder` input and `XOrderField` enum live with its types)."""

from enum import Enum

import strawberry


@strawberry.enum(description="Which way a list is ordered; ties go by id, the same way.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description="Smallest, earliest or A first; NULLs last.")
    DESC = strawberry.enum_value("DESC", description="Largest, latest or Ö first; NULLs last.")


DIRECTION_DESCRIPTION = "Which way (default ASC); rows with equal values go by id, the same way."
