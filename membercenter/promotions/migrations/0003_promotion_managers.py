from django.conf import settings
from django.db import migrations, models


def managers_keep_access(apps, schema_editor):
    """Existing promotions keep today's managers: everyone in the "Promotion manager" group.

    Before this migration every manager managed every promotion; an upgrade must not lock
    them out of the promotions they run. Administrators narrow the lists afterwards.
    """
    Group = apps.get_model("auth", "Group")
    Promotion = apps.get_model("promotions", "Promotion")
    group = Group.objects.filter(name="Promotion manager").first()
    if group is None:
        return
    user_ids = list(group.user_set.values_list("pk", flat=True))
    if not user_ids:
        return
    Through = Promotion.managers.through
    Through.objects.bulk_create(
        [Through(promotion_id=p, user_id=u) for p in Promotion.objects.values_list("pk", flat=True) for u in user_ids],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("promotions", "0002_promotion_reward_delivery"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="promotion",
            name="managers",
            field=models.ManyToManyField(
                blank=True,
                help_text="Promotion managers who may edit this promotion, its rewards, codes and shipments.",
                related_name="managed_promotions",
                to=settings.AUTH_USER_MODEL,
                verbose_name="managers",
            ),
        ),
        migrations.RunPython(managers_keep_access, migrations.RunPython.noop),
    ]
