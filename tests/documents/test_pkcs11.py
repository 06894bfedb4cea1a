"""A unit's key on a PKCS#11 token signs its documents: SoftHSM stands in for the token a province buys.

The token is initialised in a temporary folder, the unit's key and certificate from the test CA are put on it
under the unit code as label, and hoso signs through the settings a production server would use
(HOSO_SIGNING_PKCS11_MODULE / _TOKEN / _PIN). A wrong PIN or a unit without a key on the token stops signing
with a reason in Vietnamese.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfWriter

from config.settings import Settings
from documents.demo_ca import ensure_demo_ca, ensure_unit_key, unit_cert_path, unit_key_path
from documents.pdf_stage import NO_KEY
from documents.setup import DocumentSetup
from documents.signing import (
    PdfSigningError,
    Pkcs11Config,
    Pkcs11Signer,
    check_pdf,
    load_trust_roots,
    sign_pdf,
    signer_for_unit,
)
from tests.conftest import World
from tests.documents.test_signed_pdf import issue_and_sign, needs_soffice, order_of

SOFTHSM_MODULE = next(
    (
        path
        for path in ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
        if Path(path).is_file()
    ),
    None,
)
pytestmark = pytest.mark.skipif(
    SOFTHSM_MODULE is None or shutil.which("softhsm2-util") is None,
    reason="Không có SoftHSM (gói softhsm2): không thử được ký số bằng thiết bị PKCS#11 (make setup cài gói này "
    "khi có quyền root)",
)

TOKEN = "hoso-thu-nghiem"
PIN = "246810"
UNIT = ("CAX-00070", "Công an phường Hoàn Kiếm")

# The certificate object is created with python-pkcs11 in its own process, so that the library is initialised
# in this one only by the signing under test.
PUT_CERTIFICATE = """
import sys
import pkcs11
from pkcs11 import Attribute, CertificateType, ObjectClass
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

module, token_label, pin, label, path = sys.argv[1:]
cert = x509.load_pem_x509_certificate(open(path, "rb").read())
token = pkcs11.lib(module).get_token(token_label=token_label)
with token.open(rw=True, user_pin=pin) as session:
    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE,
        Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True,
        Attribute.LABEL: label,
        Attribute.ID: b"\\x01",
        Attribute.SUBJECT: cert.subject.public_bytes(),
        Attribute.VALUE: cert.public_bytes(Encoding.DER),
    })
"""


@dataclass(frozen=True)
class Token:
    module: str
    pki: Path
    """The test CA (``ca.cert.pem``) whose certificate the unit's key on the token carries."""


@pytest.fixture(scope="module")
def token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    assert SOFTHSM_MODULE is not None
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    pki = folder / "pki"
    ensure_demo_ca(pki)
    ensure_unit_key(pki, *UNIT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(conf))
        util = ["softhsm2-util", "--pin", PIN]
        run([*util, "--init-token", "--free", "--label", TOKEN, "--so-pin", "13579"])
        key = unit_key_path(pki, UNIT[0])
        run([*util, "--import", str(key), "--token", TOKEN, "--label", UNIT[0], "--id", "01"])
        certificate = unit_cert_path(pki, UNIT[0])
        run([sys.executable, "-c", PUT_CERTIFICATE, SOFTHSM_MODULE, TOKEN, PIN, UNIT[0], str(certificate)])
        # The keys stay on the token only, as in production: the folder keeps the CA certificate.
        key.unlink()
        certificate.unlink()
        yield Token(SOFTHSM_MODULE, pki)


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)
    assert done.returncode == 0, done.stderr or done.stdout


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def settings_for(token: Token, tmp_path: Path, *, pin: str = PIN) -> Settings:
    return Settings(
        environment="test",
        secret_key="test-secret-key-of-at-least-thirty-two-chars",
        documents_dir=tmp_path / "van-ban",
        signing_keys_dir=token.pki,
        signing_pkcs11_module=token.module,
        signing_pkcs11_token=TOKEN,
        signing_pkcs11_pin=pin,
        signing_trust_roots=[token.pki / "ca.cert.pem"],
    )


def pkcs11_of(setup: DocumentSetup) -> Pkcs11Config:
    assert setup.signing.pkcs11 is not None
    return setup.signing.pkcs11


def test_a_unit_without_a_key_file_signs_with_its_key_on_the_token(token: Token, tmp_path: Path) -> None:
    setup = DocumentSetup.from_settings(settings_for(token, tmp_path))
    signer = signer_for_unit(UNIT[0], setup.signing.keys_dir, setup.signing.pkcs11)
    assert isinstance(signer, Pkcs11Signer)
    signed = sign_pdf(blank_pdf(), signer, reason="Ban hành văn bản", location="Hoàn Kiếm")
    check = check_pdf(signed, load_trust_roots([token.pki / "ca.cert.pem"]))
    assert check.valid and check.intact and check.trusted, check.detail_vi
    assert check.signer_unit_code == UNIT[0]
    assert check.reason == "Ban hành văn bản"


def test_a_wrong_pin_stops_signing_with_the_reason(token: Token, tmp_path: Path) -> None:
    setup = DocumentSetup.from_settings(settings_for(token, tmp_path, pin="000000"))
    with pytest.raises(PdfSigningError, match="Không mở được thiết bị ký số"):
        sign_pdf(blank_pdf(), Pkcs11Signer(UNIT[0], pkcs11_of(setup)), reason="Ban hành", location="Hoàn Kiếm")


def test_a_unit_whose_key_is_not_on_the_token_cannot_sign(token: Token, tmp_path: Path) -> None:
    setup = DocumentSetup.from_settings(settings_for(token, tmp_path))
    with pytest.raises(PdfSigningError) as refused:
        sign_pdf(blank_pdf(), Pkcs11Signer("CAX-00073", pkcs11_of(setup)), reason="Ban hành", location="Ba Đình")
    assert "CAX-00073" in str(refused.value)


@needs_soffice
def test_the_document_stage_signs_issued_documents_with_the_token(world: World, token: Token, tmp_path: Path) -> None:
    setup = DocumentSetup.from_settings(settings_for(token, tmp_path))
    dossier_id, outcomes = issue_and_sign(world, setup)
    assert outcomes and {outcome.outcome for outcome in outcomes} == {"signed"}, outcomes
    order = order_of(world, dossier_id)
    assert order["pdf_status"] == "signed" and order["pdf_note"] != NO_KEY
    assert UNIT[0] in order["signer_subject"]
    check = check_pdf(setup.files.read(order["pdf_path"]), load_trust_roots([token.pki / "ca.cert.pem"]))
    assert check.valid and check.signer_unit_code == UNIT[0]


@needs_soffice
def test_a_token_that_refuses_leaves_the_pdf_waiting_with_the_reason(
    world: World, token: Token, tmp_path: Path
) -> None:
    setup = DocumentSetup.from_settings(settings_for(token, tmp_path, pin="000000"))
    dossier_id, outcomes = issue_and_sign(world, setup)
    assert outcomes and {outcome.outcome for outcome in outcomes} == {"retry"}, outcomes
    assert all("Không mở được thiết bị ký số" in outcome.detail for outcome in outcomes)
    order = order_of(world, dossier_id)
    assert order["pdf_status"] == "pending" and order["pdf_path"] is None
