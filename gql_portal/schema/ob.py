"""GraphQL types of the company's OB windows (SETTINGS)."""

import datetime
from enum import Enum

import strawberry

from gql_portal.db import ob as db
from gql_portal.domain import ob as domain
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.schema.fields import describe_values, field

SETTINGS = AreaRule(Area.SETTINGS)
STRUCTURAL = Structural()
OB_WINDOWS_BOUND = domain.MAX_OB_WINDOWS

strawberry.enum(
    domain.ObPreset,
    description="A ready set of OB windows. COMMON: OB1 weekday evenings 18-22, OB2 weekday "
    "nights 22-06, OB3 the weekend Friday 18:00 to Monday 06:00, OB4 public holidays and aftons "
    "all day; shaped like a typical collective agreement, for the firm to adjust to the client's.",
)


@strawberry.enum(description="A day of the week.")
class Weekday(Enum):
    MONDAY = domain.MONDAY
    TUESDAY = domain.TUESDAY
    WEDNESDAY = domain.WEDNESDAY
    THURSDAY = domain.THURSDAY
    FRIDAY = domain.FRIDAY
    SATURDAY = domain.SATURDAY
    SUNDAY = domain.SUNDAY


describe_values(
    domain.ObPreset,
    {
        "COMMON": "OB1 weekday evenings 18-22, OB2 weekday nights 22-06, OB3 Friday 18:00 to "
        "Monday 06:00, OB4 public holidays and aftons all day.",
    },
)
describe_values(
    Weekday,
    {
        day.name: f"{day.name.capitalize()}, day {number} of the ISO week."
        for number, day in enumerate(Weekday, start=1)
    },
)


@strawberry.type(
    description="A window of inconvenient working hours (OB): time worked in it counts for its "
    "code. Where windows overlap, the highest code wins."
)
class ObWindow:
    company_id: strawberry.Private[int]
    code: str = field(SETTINGS, description="OB1-OB5, the PAXml time code.")
    weekdays: list[Weekday] = field(SETTINGS, description="The days the window starts on.")
    holidays: bool = field(
        SETTINGS,
        description="Whether it also starts on public holidays and aftons (midsommarafton, "
        "julafton, nyårsafton), whatever their weekday.",
    )
    start_time: datetime.time = field(SETTINGS, description="Local time (Europe/Stockholm).")
    end_time: datetime.time = field(
        SETTINGS,
        description="Local time; at or before the start: on the next day (00:00-00:00 is the "
        "whole day).",
    )

    @classmethod
    def from_row(cls, row: db.ObWindow) -> "ObWindow":
        return cls(
            company_id=row.company_id,
            code=row.code,
            weekdays=[Weekday(day) for day in sorted(domain.weekdays_of_mask(row.weekdays))],
            holidays=row.holidays,
            start_time=row.start_time,
            end_time=row.end_time,
        )


@strawberry.input(description="One OB window.")
class ObWindowInput:
    code: str = strawberry.field(description="OB1-OB5.")
    weekdays: list[Weekday] = strawberry.field(
        default_factory=list, description="The days it starts on (may be empty with holidays)."
    )
    holidays: bool = strawberry.field(
        default=False, description="It also starts on public holidays and aftons."
    )
    start_time: datetime.time = strawberry.field(
        description='Local time in whole minutes: "18:00".'
    )
    end_time: datetime.time = strawberry.field(
        description="Local time in whole minutes; at or before the start: on the next day."
    )


@strawberry.input(description="All of the company's OB windows: they replace the ones it has.")
class SetObWindowsInput:
    windows: list[ObWindowInput] = strawberry.field(
        description=f"At most {OB_WINDOWS_BOUND}; an empty list: no OB."
    )


@strawberry.type(description="The company's OB windows after the change.")
class ObWindowsPayload:
    ob_windows: list[ObWindow] = field(STRUCTURAL, bound=OB_WINDOWS_BOUND)
