"""An index for counting a promotion's active claims, and a member's, without reading the table.

Every member page that judges eligibility (My Products, the redeem page) and every submit
counts the active claims of the open promotions (the "stock" rule) and the member's own
(the "limit per member" rule). With (promotion, status, member) in one index, PostgreSQL
answers both counts from the index alone (an index-only scan) instead of reading every
claim of the promotion: measured by `make loadtest` (docs/performance.md).

Plain SQL with no model state: the same statement on PostgreSQL and SQLite, and nothing for
makemigrations to compare with the models.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("claims", "0003_claim_escalated_at")]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS claim_promotion_counts_idx ON claims_claim (promotion_id, status, member_id)",
            reverse_sql="DROP INDEX IF EXISTS claim_promotion_counts_idx",
        ),
    ]
