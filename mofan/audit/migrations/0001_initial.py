import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]

    operations = [
        migrations.CreateModel(
            name="AuditLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="time")),
                ("actor_name", models.CharField(blank=True, max_length=150, verbose_name="user name")),
                ("ip", models.GenericIPAddressField(blank=True, null=True, verbose_name="address")),
                ("event_id", models.PositiveIntegerField(db_index=True, verbose_name="event")),
                ("event_name", models.CharField(max_length=80)),
                ("success", models.BooleanField(default=True, verbose_name="success")),
                ("target_type", models.CharField(blank=True, max_length=80, verbose_name="object type")),
                ("target_id", models.CharField(blank=True, max_length=64, verbose_name="object id")),
                ("target_repr", models.CharField(blank=True, max_length=200, verbose_name="object")),
                ("unit_path", models.CharField(blank=True, db_index=True, max_length=255)),
                ("old_values", models.JSONField(blank=True, null=True, verbose_name="old values")),
                ("new_values", models.JSONField(blank=True, null=True, verbose_name="new values")),
                ("note", models.CharField(blank=True, max_length=500, verbose_name="note")),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "audit record",
                "verbose_name_plural": "audit trail",
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["actor", "at"], name="audit_actor_at_idx")],
            },
        ),
    ]
