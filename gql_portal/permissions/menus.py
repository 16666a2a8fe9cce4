"""The menus a viewer sees open, derived from the matrix and the company's subscription state."""

from __future__ import annotations

from enum import StrEnum

from gql_portal.permissions.access import Access, Gate
from gql_portal.permissions.matrix import Area, Op, Reach, reach


class Menu(StrEnum):
    EMPLOYEES = "EMPLOYEES"
    TIME = "TIME"
    ABSENCE = "ABSENCE"
    PROJECTS = "PROJECTS"
    SCHEDULES = "SCHEDULES"
    PAYROLL = "PAYROLL"
    EXPENSES = "EXPENSES"
    SETTINGS = "SETTINGS"
    USERS = "USERS"
    INTEGRATIONS = "INTEGRATIONS"
    COLLABORATIONS = "COLLABORATIONS"
    AUDIT = "AUDIT"
    PARTNER_PORTAL = "PARTNER_PORTAL"


MENU_AREA: dict[Menu, Area] = {
    Menu.EMPLOYEES: Area.EMPLOYEE_CONTACT,
    Menu.TIME: Area.TIME,
    Menu.ABSENCE: Area.ABSENCE,
    Menu.PROJECTS: Area.PROJECTS,
    Menu.SCHEDULES: Area.SCHEDULES,
    Menu.PAYROLL: Area.PAYROLL_BASIS,
    Menu.EXPENSES: Area.EXPENSES_RECEIPTS,
    Menu.SETTINGS: Area.SETTINGS,
    Menu.USERS: Area.USERS,
    Menu.INTEGRATIONS: Area.INTEGRATIONS,
    Menu.COLLABORATIONS: Area.COLLABORATIONS,
    Menu.AUDIT: Area.AUDIT,
}


def open_menus(access: Access) -> list[Menu]:
    """Trial: every menu the role reaches. An activated firm: only the partner portal."""
    is_firm = access.company_is_firm
    if not access.signed_in or access.gate is Gate.TRIAL_EXPIRED:
        return []
    if access.in_portal or access.gate is Gate.FEATURE_DISABLED:
        return [Menu.PARTNER_PORTAL] if is_firm else []
    assert access.actor is not None
    menus = [m for m, area in MENU_AREA.items() if reach(area, access.actor, Op.READ) > Reach.NONE]
    if is_firm and access.acting_firm_id is None:
        menus.append(Menu.PARTNER_PORTAL)
    return menus
