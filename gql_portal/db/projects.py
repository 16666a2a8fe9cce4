"""Projects, the client's own customers, activities and assignments (PROJECTS)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint, exists, false, select
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class Customer(IdMixin, CompanyOwned, Base):
    __tablename__ = "customers"
    __area__: ClassVar[Area] = Area.PROJECTS

    company_id: Mapped[int] = company_fk()
    name: Mapped[str] = mapped_column(String(200))
    organisation_number: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        if access.employee_id is None:
            return false()
        # Not a join: the row scope adds its own criteria to ProjectAssignment in subqueries.
        assigned = select(ProjectAssignment.project_id).where(
            ProjectAssignment.employee_id == access.employee_id
        )
        return exists(
            select(Project.id).where(Project.customer_id == cls.id, Project.id.in_(assigned))
        )


class Project(IdMixin, CompanyOwned, Base):
    __tablename__ = "projects"
    __area__: ClassVar[Area] = Area.PROJECTS
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[int] = company_fk()
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        if access.employee_id is None:
            return false()
        return exists(
            select(ProjectAssignment.id).where(
                ProjectAssignment.project_id == cls.id,
                ProjectAssignment.employee_id == access.employee_id,
            )
        )


class Activity(IdMixin, CompanyOwned, Base):
    __tablename__ = "activities"
    __area__: ClassVar[Area] = Area.PROJECTS

    company_id: Mapped[int] = company_fk()
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        if access.employee_id is None:
            return false()
        return exists(
            select(ProjectAssignment.id).where(
                ProjectAssignment.project_id == cls.project_id,
                ProjectAssignment.employee_id == access.employee_id,
            )
        )


class ProjectAssignment(IdMixin, CompanyOwned, Base):
    __tablename__ = "project_assignments"
    __area__: ClassVar[Area] = Area.PROJECTS
    __table_args__ = (UniqueConstraint("project_id", "employee_id"),)

    company_id: Mapped[int] = company_fk()
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), index=True
    )
