"""settlement intent on holds: a finished request's settlement is kept on its hold before its answer's last
bytes leave, so the sweep can settle a request whose process died before its batch was written

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 14:06:14.582666
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: a request still running has no settlement yet.
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settlement", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_column("settlement")
