"""`manage.py odr_dev_pki`: a working development PKI, kept across runs, written to .env."""

import io
import stat

from django.core.management import call_command

from documents.services.pki import org_key


def test_creates_a_pki_the_app_can_sign_with(tmp_path, settings):
    directory = tmp_path / "dev-pki"
    env_file = tmp_path / ".env"
    env_file.write_text("SECRET_KEY=x")
    out = io.StringIO()
    call_command("odr_dev_pki", "--dir", str(directory), "--env-file", str(env_file), stdout=out)
    for name in ("root.pem", "signer.pem", "signer.key.pem", "signer.p12", "dev.env"):
        assert (directory / name).exists(), name
    assert stat.S_IMODE((directory / "signer.p12").stat().st_mode) == 0o600
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line)
    assert env["SECRET_KEY"] == "x"
    assert env["DOCUMENTS_SIGNING_PKCS12"] == str(directory / "signer.p12")
    assert env["DOCUMENTS_TRUST_ROOTS"] == str(directory / "root.pem")
    assert env["DOCUMENTS_SIGNING_PASSPHRASE"] not in out.getvalue()  # not echoed
    settings.DOCUMENTS_SIGNING_PKCS12 = env["DOCUMENTS_SIGNING_PKCS12"]
    settings.DOCUMENTS_SIGNING_PASSPHRASE = env["DOCUMENTS_SIGNING_PASSPHRASE"]
    key = org_key()
    assert "电子文书签章" in key.subject

    # A second run keeps the PKI and does not append twice.
    before = (directory / "signer.p12").read_bytes()
    call_command(
        "odr_dev_pki", "--dir", str(directory), "--env-file", str(env_file), stdout=io.StringIO()
    )
    assert (directory / "signer.p12").read_bytes() == before
    assert env_file.read_text().count("DOCUMENTS_SIGNING_PKCS12=") == 1
