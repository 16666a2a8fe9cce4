#!/usr/bin/env bash
# While the company-domain migration (0002) is unreleased: regenerate it from the models.
# Idempotent; safe to run again after any model change in gql_portal/db/.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=gql_portal/db/migrations/versions
tmp=$(mktemp -d)
export GQL_PORTAL_DATABASE_URL="sqlite+aiosqlite:///$tmp/m.db"
rm -f "$versions/0002_company_domain.py"
.venv/bin/alembic upgrade head >/dev/null 2>&1
.venv/bin/alembic revision --autogenerate -m "company domain" >/dev/null 2>&1
new=$(ls "$versions"/2026*_company_domain.py)
sed -i 's/^revision: str = .*/revision: str = "0002_company_domain"/; s/^Revision ID: .*/Revision ID: 0002_company_domain/' "$new"
mv "$new" "$versions/0002_company_domain.py"
.venv/bin/ruff format -q "$versions/0002_company_domain.py"
.venv/bin/ruff check -q --fix "$versions/0002_company_domain.py" || true
rm -rf "$tmp"
echo "regenerated $versions/0002_company_domain.py"
