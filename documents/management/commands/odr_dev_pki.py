"""Make a throwaway PKI for development and tests: a root CA and a signing certificate.

    python manage.py odr_dev_pki [--dir var/dev-pki] [--force] [--env-file .env]

Writes root.pem, signer.pem, signer.key.pem, signer.p12 (random passphrase, also in
passphrase.txt) and dev.env with the DOCUMENTS_* settings that use them. An existing PKI
in the folder is kept unless --force. With --env-file, the settings are appended to that
file when it does not set DOCUMENTS_SIGNING_PKCS12 yet. Never for production: the keys
are unprotected files, and the root's key lies next to it.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from documents.services.pki import dev_pki_create


class Command(BaseCommand):
    help = "Create a development root CA and document-signing certificate (never for production)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "var" / "dev-pki"))
        parser.add_argument("--force", action="store_true", help="replace an existing PKI")
        parser.add_argument(
            "--env-file", default="", help="append the DOCUMENTS_* settings to this file"
        )
        parser.add_argument("--organisation", default="", help="the issuing organisation's name")

    def handle(self, *args, **options):
        directory = Path(options["dir"]).resolve()
        env_path = directory / "dev.env"
        if (directory / "signer.p12").exists() and env_path.exists() and not options["force"]:
            self.stdout.write(f"Keeping the development PKI in {directory} (--force replaces it).")
        else:
            pki = dev_pki_create(
                directory=directory,
                organisation=options["organisation"] or settings.DOCUMENTS_ISSUER_NAME,
            )
            lines = [f"{key}={value}" for key, value in pki.env().items()]
            env_path.write_text("\n".join(lines) + "\n")
            env_path.chmod(0o600)
            self.stdout.write(
                self.style.SUCCESS(f"Created a development root CA and signing key in {directory}.")
            )
        if options["env_file"]:
            target = Path(options["env_file"])
            existing = target.read_text() if target.exists() else ""
            if "DOCUMENTS_SIGNING_PKCS12=" in existing:
                self.stdout.write(f"{target} already sets DOCUMENTS_SIGNING_PKCS12; left as it is.")
            else:
                with target.open("a") as handle:
                    if existing and not existing.endswith("\n"):
                        handle.write("\n")
                    handle.write(env_path.read_text())
                self.stdout.write(f"Appended the DOCUMENTS_* settings to {target}.")
        names = [line.split("=", 1)[0] for line in env_path.read_text().splitlines() if line]
        self.stdout.write(f"Settings ({', '.join(names)}) are in {env_path}.")
