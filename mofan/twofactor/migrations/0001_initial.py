import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TOTPDevice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("secret_sealed", models.TextField(verbose_name="secret (encrypted)")),
                ("confirmed", models.BooleanField(default=False, verbose_name="confirmed")),
                ("last_step", models.BigIntegerField(default=0, verbose_name="last used time step")),
                ("failed_codes", models.PositiveIntegerField(default=0, verbose_name="wrong codes in a row")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("confirmed_at", models.DateTimeField(blank=True, null=True, verbose_name="confirmed at")),
                ("last_used_at", models.DateTimeField(blank=True, null=True, verbose_name="last used at")),
                ("user", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="totp_device",
                                              to=settings.AUTH_USER_MODEL, verbose_name="account")),
            ],
            options={
                "verbose_name": "authenticator",
                "verbose_name_plural": "authenticators",
            },
        ),
        migrations.CreateModel(
            name="RecoveryCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code_hash", models.CharField(max_length=64, verbose_name="code digest")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("used_at", models.DateTimeField(blank=True, null=True, verbose_name="used at")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="recovery_codes",
                                           to=settings.AUTH_USER_MODEL, verbose_name="account")),
            ],
            options={
                "verbose_name": "recovery code",
                "verbose_name_plural": "recovery codes",
                "constraints": [models.UniqueConstraint(fields=("user", "code_hash"), name="twofactor_recovery_unique")],
            },
        ),
    ]
