"""connectors, account connectors, oauth flows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:29:26.739855
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_connectors_name_version")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_connectors_name"), ["name"], unique=False)

    op.create_table(
        "partner_connector_properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connector_name", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value_sealed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_connector_properties")),
        sa.UniqueConstraint(
            "connector_name",
            "name",
            name=op.f("uq_partner_connector_properties_connector_name_name"),
        ),
    )
    op.create_table(
        "account_connectors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("authentication_id", sa.String(length=128), nullable=True),
        sa.Column("auth_sealed", sa.Text(), nullable=True),
        sa.Column("authenticated", sa.Boolean(), nullable=False),
        sa.Column("auth_error", sa.Text(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_connectors_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_account_connectors_connector_id_connectors"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_connectors")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("account_connectors", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_connectors_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_account_connectors_connector_id"), ["connector_id"], unique=False
        )

    op.create_table(
        "connector_methods",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("method_unique_identifier", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_connector_methods_connector_id_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_methods")),
        sa.UniqueConstraint(
            "connector_id",
            "method_unique_identifier",
            name=op.f("uq_connector_methods_connector_id_method_unique_identifier"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("connector_methods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connector_methods_connector_id"), ["connector_id"], unique=False
        )

    op.create_table(
        "account_connector_properties",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("value_sealed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_account_connector_properties_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_connector_properties")),
        sa.UniqueConstraint(
            "account_connector_id",
            "name",
            name=op.f("uq_account_connector_properties_account_connector_id_name"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("account_connector_properties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_connector_properties_account_connector_id"),
            ["account_connector_id"],
            unique=False,
        )

    op.create_table(
        "connector_fields",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("method_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["method_id"],
            ["connector_methods.id"],
            name=op.f("fk_connector_fields_method_id_connector_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_fields")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("connector_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_connector_fields_method_id"), ["method_id"], unique=False
        )

    op.create_table(
        "oauth_states",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("code_verifier_sealed", sa.Text(), nullable=False),
        sa.Column("return_url", sa.String(length=2048), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_oauth_states_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("state", name=op.f("pk_oauth_states")),
    )
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oauth_states_account_connector_id"),
            ["account_connector_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_oauth_states_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("oauth_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_states_expires_at"))
        batch_op.drop_index(batch_op.f("ix_oauth_states_account_connector_id"))

    op.drop_table("oauth_states")
    with op.batch_alter_table("connector_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connector_fields_method_id"))

    op.drop_table("connector_fields")
    with op.batch_alter_table("account_connector_properties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_connector_properties_account_connector_id"))

    op.drop_table("account_connector_properties")
    with op.batch_alter_table("connector_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connector_methods_connector_id"))

    op.drop_table("connector_methods")
    with op.batch_alter_table("account_connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_connectors_connector_id"))
        batch_op.drop_index(batch_op.f("ix_account_connectors_account_id"))

    op.drop_table("account_connectors")
    op.drop_table("partner_connector_properties")
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_connectors_name"))

    op.drop_table("connectors")
