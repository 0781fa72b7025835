from django.conf import settings
from django.db import migrations, models


def keep_the_platform_for_drafts(apps, schema_editor):
    """Drafts rendered before signers were planned print the platform as their issuer:
    the parties confirm that text, so the platform signs them as printed. Everything
    else is planned when it is (next) rendered; issued documents were the platform's."""
    Document = apps.get_model("documents", "Document")
    platform = {
        "role": "seal",
        "kind": "platform",
        "code": "platform",
        "name_zh": settings.DOCUMENTS_ISSUER_NAME,
        "name_en": settings.DOCUMENTS_ISSUER_NAME_EN,
        "organisation_zh": "",
        "organisation_en": "",
    }
    Document.objects.filter(status="awaiting_confirmation").update(signers=[platform])


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0004_identity_and_mediation_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="document",
            name="signers",
            field=models.JSONField(blank=True, default=list, verbose_name="signers"),
        ),
        migrations.RunPython(keep_the_platform_for_drafts, migrations.RunPython.noop),
    ]
