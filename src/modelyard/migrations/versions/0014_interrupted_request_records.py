"""interrupted request records: a hold carries what the sweep needs to record a request its process never
settled

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 13:32:30.502567
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable: holds open during the upgrade have none of these and are swept without a record.
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_key_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("model_slug", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("requested_model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("api_type", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("is_stream", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("app_referer", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("app_title", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holds", schema=None) as batch_op:
        batch_op.drop_column("app_title")
        batch_op.drop_column("app_referer")
        batch_op.drop_column("is_stream")
        batch_op.drop_column("api_type")
        batch_op.drop_column("requested_model")
        batch_op.drop_column("model_slug")
        batch_op.drop_column("api_key_id")
