"""The ledger list's filters: each entry's author and day (`ledger_entry_fact`, a projection filled
here from the stored bodies) and the entries by event type in ledger order.

Revision ID: 0013_ledger_entry_facts
Revises: 0012_inventory_audits
Create Date: 2026-12-05
"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0013_ledger_entry_facts"
down_revision = "0012_inventory_audits"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    facts = op.create_table(
        "ledger_entry_fact",
        sa.Column("entry_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("entry_index", name="pk_ledger_entry_fact"),
    )
    bind = op.get_bind()
    last = -1
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT entry_index, body FROM ledger_entry WHERE entry_index > :last ORDER BY entry_index LIMIT :n"
            ),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        values = []
        for index, body in rows:
            event = json.loads(bytes(body))
            actor = event["actor"].split(" (", 1)[0]
            values.append({"entry_index": index, "actor": actor, "recorded_on": date.fromisoformat(event["time"][:10])})
        op.bulk_insert(facts, values)
        last = rows[-1][0]
    op.create_index("ix_ledger_entry_fact_actor", "ledger_entry_fact", ["actor", "entry_index"])
    op.create_index("ix_ledger_entry_fact_day", "ledger_entry_fact", ["recorded_on", "entry_index"])
    op.create_index("ix_ledger_entry_type_entry_index", "ledger_entry", ["event_type", "entry_index"])


def downgrade():
    op.drop_index("ix_ledger_entry_type_entry_index", "ledger_entry")
    op.drop_table("ledger_entry_fact")
