"""Make a throwaway PKI for development and tests: a root CA, the platform's signing
certificate, and the certificates of the offices, organisations and mediators.

    python manage.py odr_dev_pki [--dir var/dev-pki] [--force] [--env-file .env] [--seals]

Writes root.pem, signer.pem, signer.key.pem, signer.p12 (random passphrase, also in
passphrase.txt), an empty seals/ folder and dev.env with the DOCUMENTS_* settings that
use them: the platform's key, the trusted root, and the root as the development CA that
issues an office's, a mediation organisation's or a mediator's key into seals/ the first
time one signs. An existing PKI in the folder is kept unless --force (and its dev.env
completed with settings that a newer version added). With --env-file, the settings that
file does not set yet are appended to it. With --seals, every regulator office, mediation
organisation and mediator in the database that has no key in seals/ gets one now. Never
for production: the keys are unprotected files, and the root's key lies next to it.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import DatabaseError

from documents.services.pki import (
    DevPki,
    SignerIdentity,
    dev_pki_create,
    dev_pki_open,
    dev_signer_issue,
)


def _settings(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value for key, value in pairs if not key.lstrip().startswith("#")}


class Command(BaseCommand):
    help = "Create a development root CA and document-signing certificates (never for production)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.BASE_DIR) / "var" / "dev-pki"))
        parser.add_argument("--force", action="store_true", help="replace an existing PKI")
        parser.add_argument(
            "--env-file", default="", help="append the DOCUMENTS_* settings to this file"
        )
        parser.add_argument("--organisation", default="", help="the platform's name")
        parser.add_argument(
            "--seals",
            action="store_true",
            help="issue keys now to the offices, organisations and mediators in the database",
        )

    def handle(self, *args, **options):
        directory = Path(options["dir"]).resolve()
        env_path = directory / "dev.env"
        pki = dev_pki_open(directory)
        if pki is not None and env_path.exists() and not options["force"]:
            self.stdout.write(f"Keeping the development PKI in {directory} (--force replaces it).")
            pki.seals_dir.mkdir(exist_ok=True)
            kept = _settings(env_path.read_text())
            missing = {k: v for k, v in pki.env().items() if k not in kept}
            if missing:  # made by an older version: add what it lacks
                with env_path.open("a") as handle:
                    handle.write("".join(f"{k}={v}\n" for k, v in missing.items()))
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
            self._append(Path(options["env_file"]), env_path)
        if options["seals"]:
            self._issue_seals(pki)
        names = list(_settings(env_path.read_text()))
        self.stdout.write(f"Settings ({', '.join(names)}) are in {env_path}.")

    def _append(self, target: Path, env_path: Path) -> None:
        existing = target.read_text() if target.exists() else ""
        present = _settings(existing)
        wanted = _settings(env_path.read_text())
        missing = {k: v for k, v in wanted.items() if k not in present}
        if not missing:
            self.stdout.write(f"{target} already sets the DOCUMENTS_* settings; left as it is.")
            return
        with target.open("a") as handle:
            if existing and not existing.endswith("\n"):
                handle.write("\n")
            handle.write("".join(f"{k}={v}\n" for k, v in missing.items()))
        self.stdout.write(f"Appended {', '.join(missing)} to {target}.")

    def _issue_seals(self, pki: DevPki) -> None:
        try:
            identities = _identities()
        except DatabaseError as exc:  # not migrated yet
            self.stdout.write(f"No offices to issue keys to: {exc}")
            return
        issued = 0
        for identity in identities:
            path = pki.seals_dir / f"{identity.file_stem}.p12"
            if not path.exists():
                dev_signer_issue(identity=identity, path=path, pki=pki)
                issued += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Issued {issued} keys in {pki.seals_dir} "
                f"({len(identities) - issued} offices, organisations or mediators had one)."
            )
        )


def _identities() -> list[SignerIdentity]:
    from accounts.models import MediationOrganisation, RegulatorOffice, Role
    from documents.services.seals import office_identity, organisation_identity, person_identity

    identities = [office_identity(o.division_code) for o in RegulatorOffice.objects.all()]
    identities += [organisation_identity(o) for o in MediationOrganisation.objects.all()]
    for role in Role.objects.filter(kind=Role.Kind.MEDIATOR).select_related(
        "user", "mediation_organisation"
    ):
        identities.append(person_identity(role.user, role.mediation_organisation))
    seen: dict[str, SignerIdentity] = {}
    for identity in identities:
        seen.setdefault(identity.file_stem, identity)
    return list(seen.values())
