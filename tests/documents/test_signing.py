"""PAdES signing and checking on a blank PDF made with pypdf (no LibreOffice needed): a good signature,
a tampered byte, a foreign CA, an unsigned file, garbage, and what is read back from the certificate."""

from __future__ import annotations

import io
import multiprocessing
import os
import stat
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfWriter

from documents.demo_ca import CA_COMMON_NAME, ensure_demo_ca, ensure_unit_key
from documents.signing import (
    KeyFileSigner,
    PdfSigningError,
    Pkcs11Config,
    Pkcs11Signer,
    check_pdf,
    load_trust_roots,
    sign_pdf,
    signer_for_unit,
)

UNIT = "00070"
UNIT_NAME = "Ủy ban nhân dân phường Hoàn Kiếm"
REASON = "Ban hành quyết định áp dụng biện pháp giáo dục tại xã, phường, thị trấn"
LOCATION = "Phường Hoàn Kiếm, thành phố Hà Nội"
BINARY_COMMENT = b"%\xe2\xe3\xcf\xd3"  # the line pypdf writes after the header, inside the signed range


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    ensure_unit_key(directory, UNIT, UNIT_NAME)
    return directory


@pytest.fixture(scope="module")
def roots(keys: Path) -> list[x509.Certificate]:
    return load_trust_roots([keys / "ca.cert.pem"])


@pytest.fixture(scope="module")
def signed(keys: Path) -> bytes:
    signer = signer_for_unit(UNIT, keys, None)
    assert signer is not None
    return sign_pdf(blank_pdf(), signer, reason=REASON, location=LOCATION)


def test_a_pdf_signed_by_the_demo_ca_is_valid(signed: bytes, roots: list[x509.Certificate]) -> None:
    check = check_pdf(signed, roots)
    assert (check.signed, check.intact, check.trusted, check.valid) == (True, True, True, True)
    assert check.detail_vi.startswith("Chữ ký số hợp lệ") and UNIT_NAME in check.detail_vi
    assert b"/ETSI.CAdES.detached" in signed  # PAdES, not the older adbe.pkcs7.detached


def test_unit_code_signer_time_and_vietnamese_reason_read_back(signed: bytes, roots: list[x509.Certificate]) -> None:
    check = check_pdf(signed, roots)
    assert check.signer_unit_code == UNIT
    assert check.signer_subject is not None and UNIT_NAME in check.signer_subject
    assert check.signed_at is not None and abs(datetime.now(UTC) - check.signed_at) < timedelta(minutes=5)
    assert (check.reason, check.location) == (REASON, LOCATION)


def test_one_byte_changed_inside_the_signed_range_breaks_integrity(
    signed: bytes, roots: list[x509.Certificate]
) -> None:
    assert signed.count(BINARY_COMMENT) == 1
    tampered = signed.replace(BINARY_COMMENT, BINARY_COMMENT[:-1] + b"\xd4")
    check = check_pdf(tampered, roots)
    assert check.signed and not check.intact and not check.valid
    assert "bị sửa sau khi ký" in check.detail_vi


def test_content_appended_after_signing_is_not_intact(signed: bytes, roots: list[x509.Certificate]) -> None:
    check = check_pdf(signed + "\n% thêm sau khi ký\n".encode(), roots)
    assert check.signed and not check.intact and not check.valid


def test_a_key_from_another_ca_is_not_trusted(tmp_path: Path, roots: list[x509.Certificate]) -> None:
    ensure_unit_key(tmp_path, UNIT, UNIT_NAME)  # same unit, a CA of its own
    signer = signer_for_unit(UNIT, tmp_path, None)
    assert signer is not None
    check = check_pdf(sign_pdf(blank_pdf(), signer, reason=REASON, location=LOCATION), roots)
    assert check.signed and check.intact and not check.trusted and not check.valid
    assert "không do cơ quan chứng thực tin cậy cấp" in check.detail_vi
    assert check_pdf(sign_pdf(blank_pdf(), signer, reason=REASON, location=LOCATION), []).trusted is False


def test_an_unsigned_pdf_is_reported_unsigned(roots: list[x509.Certificate]) -> None:
    check = check_pdf(blank_pdf(), roots)
    assert not (check.signed or check.intact or check.trusted or check.valid)
    assert check.detail_vi == "Tệp không có chữ ký số."


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n\x00\xff garbage", os.urandom(2048)])
def test_garbage_is_reported_unsigned_without_raising(data: bytes, roots: list[x509.Certificate]) -> None:
    check = check_pdf(data, roots)
    assert not check.signed and not check.valid and check.detail_vi


def test_demo_ca_files_are_reused_private_and_named_for_what_they_are(keys: Path) -> None:
    first = (keys / "ca.cert.pem").read_bytes()
    assert ensure_demo_ca(keys).read_bytes() == first
    unit_cert = (keys / f"{UNIT}.cert.pem").read_bytes()
    ensure_unit_key(keys, UNIT, UNIT_NAME)
    assert (keys / f"{UNIT}.cert.pem").read_bytes() == unit_cert
    for key in ("ca.key.pem", f"{UNIT}.key.pem"):
        assert stat.S_IMODE((keys / key).stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate(first)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_COMMON_NAME
    unit = x509.load_pem_x509_certificate(unit_cert)
    usage = unit.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign


def test_pkcs12_key_signs_too(tmp_path: Path, keys: Path, roots: list[x509.Certificate]) -> None:
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, load_pem_private_key, pkcs12

    key = load_pem_private_key((keys / f"{UNIT}.key.pem").read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate((keys / f"{UNIT}.cert.pem").read_bytes())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    bundle = pkcs12.serialize_key_and_certificates(b"00070", key, cert, None, BestAvailableEncryption(b"mat-khau"))
    (tmp_path / f"{UNIT}.p12").write_bytes(bundle)
    (tmp_path / "ca.cert.pem").write_bytes((keys / "ca.cert.pem").read_bytes())
    signer = signer_for_unit(UNIT, tmp_path, None, passphrase=b"mat-khau")
    assert isinstance(signer, KeyFileSigner) and signer.p12_path is not None
    assert check_pdf(sign_pdf(blank_pdf(), signer, reason=REASON, location=LOCATION), roots).valid
    wrong = signer_for_unit(UNIT, tmp_path, None, passphrase=b"sai")
    assert wrong is not None
    with pytest.raises(PdfSigningError, match="Không đọc được khóa ký số"):
        sign_pdf(blank_pdf(), wrong, reason=REASON, location=LOCATION)


def test_signer_for_unit_prefers_key_files_then_the_token_then_nothing(keys: Path, tmp_path: Path) -> None:
    token = Pkcs11Config(module_path="/usr/lib/softhsm/libsofthsm2.so", token_label="hoso", pin="1234")
    assert isinstance(signer_for_unit(UNIT, keys, token), KeyFileSigner)
    assert signer_for_unit("99999", keys, token) == Pkcs11Signer("99999", token)
    assert signer_for_unit("99999", keys, None) is None
    assert signer_for_unit(UNIT, None, None) is None
    assert "1234" not in repr(token)


def test_sign_pdf_refuses_what_is_not_a_pdf(keys: Path) -> None:
    signer = signer_for_unit(UNIT, keys, None)
    assert signer is not None
    with pytest.raises(PdfSigningError, match="không phải là một tệp PDF"):
        sign_pdf(b"not a pdf", signer, reason=REASON, location=LOCATION)


def test_processes_creating_keys_at_once_end_with_one_consistent_ca(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    calls = [(tmp_path, code, UNIT_NAME) for code in ("00070", "00071") for _ in range(3)]
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        list(pool.map(ensure_unit_key, *zip(*calls, strict=True)))
    ca = x509.load_pem_x509_certificate((tmp_path / "ca.cert.pem").read_bytes())
    for code in ("00070", "00071"):
        x509.load_pem_x509_certificate((tmp_path / f"{code}.cert.pem").read_bytes()).verify_directly_issued_by(ca)
    assert not [path.name for path in tmp_path.iterdir() if path.name.startswith(".") and "pem" in path.name]
