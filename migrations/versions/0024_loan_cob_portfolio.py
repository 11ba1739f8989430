"""close of business: the portfolio's quality of the day, and accruals reversed

Revision ID: 0024_loan_cob_portfolio
Revises: 0023_inventory_transfers

Each finished close of business keeps the day's outstanding, PAR 1/30/90 and kolektibilitas
classes, so a report for a past date (the RAT pack's year end) reads that day as it was; and
the accrued bunga it took back out of income as loans stopped being lancar.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0024_loan_cob_portfolio"
down_revision: str | None = "0023_inventory_transfers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("loan_cob_runs", sa.Column("portfolio", postgresql.JSONB(), nullable=True))
    op.add_column(
        "loan_cob_runs", sa.Column("reversed_bunga", sa.BigInteger(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("loan_cob_runs", "reversed_bunga")
    op.drop_column("loan_cob_runs", "portfolio")
