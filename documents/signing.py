"""PAdES signatures with the issuing unit's key, and their verification, on top of pyHanko.

A unit signs with a key file (PEM pair or PKCS#12, handy for the demo and small deployments) or with a
key on a PKCS#11 token (USB token or HSM, how Vietnamese agencies usually hold their keys). Checking never
raises: whoever uploads a file gets a Vietnamese sentence saying what is wrong with it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner, Signer, SimpleSigner
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from states.errors import HosoError

logger = logging.getLogger(__name__)

CHAIN_FILE = "ca.cert.pem"
DIGEST = "sha256"


class PdfSigningError(HosoError):
    """The key cannot be loaded or the input is no PDF: signing stops rather than issue something unsigned."""


class DerCertificate(Protocol):
    """An asn1crypto certificate, described by the one method used here (asn1crypto ships no types)."""

    def dump(self) -> bytes: ...


TrustRoot = x509.Certificate | DerCertificate


@dataclass(frozen=True)
class SignatureCheck:
    signed: bool
    intact: bool
    trusted: bool
    valid: bool
    signer_subject: str | None
    signer_unit_code: str | None
    signed_at: datetime | None
    detail_vi: str
    reason: str | None = None
    location: str | None = None


class UnitSigner(Protocol):
    """A unit's signing key, opened only for the time of one signature (a token session must not linger)."""

    @property
    def unit_code(self) -> str: ...

    def session(self) -> AbstractContextManager[Signer]: ...


@dataclass(frozen=True)
class KeyFileSigner:
    """Key and certificate read from files: PEM (``key_path`` + ``cert_path``) or PKCS#12 (``p12_path``)."""

    unit_code: str
    cert_path: Path | None = None
    key_path: Path | None = None
    p12_path: Path | None = None
    chain_paths: tuple[Path, ...] = ()
    passphrase: bytes | None = field(default=None, repr=False)

    @contextmanager
    def session(self) -> Iterator[Signer]:
        yield self._load()

    def _load(self) -> SimpleSigner:
        try:
            chain = _certificates(self.chain_paths)
            if self.p12_path is not None:
                signer = SimpleSigner.load_pkcs12_data(
                    self.p12_path.read_bytes(), other_certs=chain, passphrase=self.passphrase
                )
                if not isinstance(signer, SimpleSigner):
                    raise ValueError("PKCS#12")
                return signer
            if self.key_path is None or self.cert_path is None:
                raise ValueError("no key file")
            key = load_private_key_from_pemder_data(self.key_path.read_bytes(), passphrase=self.passphrase)
            certificate = next(iter(load_certs_from_pemder_data(self.cert_path.read_bytes())))
        except (OSError, ValueError, TypeError, StopIteration) as error:
            raise PdfSigningError(
                f"Không đọc được khóa ký số của đơn vị {self.unit_code}: tệp khóa hoặc mật khẩu không đúng.",
                unit_code=self.unit_code,
            ) from error
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]  # unannotated __init__ upstream
        registry.register_multiple(chain)
        return SimpleSigner(signing_cert=certificate, signing_key=key, cert_registry=registry)


@dataclass(frozen=True)
class Pkcs11Config:
    """Where the units' keys live on a PKCS#11 token; each key (and its certificate) is labelled with the unit code."""

    module_path: str
    token_label: str
    pin: str | None = field(default=None, repr=False)
    chain_paths: tuple[Path, ...] = ()
    raw_mechanism: bool = True
    """Hash in hoso and let the token sign the digest (the mechanisms every token offers)."""


@dataclass(frozen=True)
class Pkcs11Signer:
    """A unit key held on a PKCS#11 token. Needs ``python-pkcs11`` (pyHanko's ``pkcs11`` extra) at signing time."""

    unit_code: str
    config: Pkcs11Config

    @contextmanager
    def session(self) -> Iterator[Signer]:
        try:
            from pkcs11.exceptions import PKCS11Error
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

            chain = [
                cert for path in self.config.chain_paths for cert in load_certs_from_pemder_data(path.read_bytes())
            ]
            token = open_pkcs11_session(
                self.config.module_path,
                token_criteria=TokenCriteria(label=self.config.token_label),
                user_pin=self.config.pin,
            )
        except Exception as error:  # ImportError, a missing module or token, a wrong PIN: all stop signing
            raise PdfSigningError(
                f"Không mở được thiết bị ký số (PKCS#11) cho đơn vị {self.unit_code}.", unit_code=self.unit_code
            ) from error
        try:
            yield PKCS11Signer(
                token,
                cert_label=self.unit_code,
                key_label=self.unit_code,
                ca_chain=chain,
                use_raw_mechanism=self.config.raw_mechanism,
            )
        except PKCS11Error as error:
            raise PdfSigningError(
                f"Thiết bị ký số không ký được cho đơn vị {self.unit_code}: không có khóa hoặc chứng thư mang nhãn "
                f"{self.unit_code}, hoặc thiết bị không hỗ trợ cách ký này ({type(error).__name__}).",
                unit_code=self.unit_code,
            ) from error
        finally:
            token.close()


def signer_for_unit(
    unit_code: str, keys_dir: Path | None, pkcs11: Pkcs11Config | None, passphrase: bytes | None = None
) -> UnitSigner | None:
    """The unit's own key file wins over the token; None means the unit cannot sign (issue the .docx only)."""
    if keys_dir is not None:
        chain = tuple(path for path in (keys_dir / CHAIN_FILE,) if path.is_file())
        key, cert, p12 = (keys_dir / f"{unit_code}{suffix}" for suffix in (".key.pem", ".cert.pem", ".p12"))
        if key.is_file() and cert.is_file():
            return KeyFileSigner(unit_code, cert_path=cert, key_path=key, chain_paths=chain, passphrase=passphrase)
        if p12.is_file():
            return KeyFileSigner(unit_code, p12_path=p12, chain_paths=chain, passphrase=passphrase)
    if pkcs11 is not None:
        return Pkcs11Signer(unit_code, pkcs11)
    return None


def sign_pdf(pdf: bytes, signer: UnitSigner, *, reason: str, location: str, field_name: str = "ChuKySo") -> bytes:
    """PAdES B-B: the signing time goes in the signature dictionary and the certificate chain in the CMS."""
    metadata = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        md_algorithm=DIGEST,
        subfilter=fields.SigSeedSubFilter.PADES,
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    except Exception as error:  # pyHanko raises several kinds of parse errors
        raise PdfSigningError("Tệp cần ký không phải là một tệp PDF hợp lệ.") from error
    with signer.session() as pyhanko_signer:
        signed = PdfSigner(metadata, signer=pyhanko_signer).sign_pdf(writer)
    return bytes(signed.getvalue())


def load_trust_roots(paths: Sequence[Path]) -> list[x509.Certificate]:
    """Every certificate of every PEM (or DER) file given, e.g. the national root CA and the demo CA."""
    roots: list[x509.Certificate] = []
    for path in paths:
        data = path.read_bytes()
        if b"-----BEGIN" in data:
            roots.extend(x509.load_pem_x509_certificates(data))
        else:
            roots.append(x509.load_der_x509_certificate(data))
    return roots


def check_pdf(pdf: bytes, trust_roots: Sequence[TrustRoot]) -> SignatureCheck:
    """Check the last signature of the file; every failure becomes a SignatureCheck, never an exception."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
    except Exception:
        return _unsigned("Tệp không đọc được như một tệp PDF, không có chữ ký số để kiểm tra.")
    if not signatures:
        return _unsigned("Tệp không có chữ ký số.")
    embedded = signatures[-1]
    context = ValidationContext(trust_roots=[_as_asn1(root) for root in trust_roots], allow_fetching=False)
    try:
        status = validate_pdf_signature(embedded, context)
    except Exception as error:
        logger.info("signature validation failed", exc_info=error)
        return SignatureCheck(True, False, False, False, None, None, None, "Chữ ký số bị hỏng, không kiểm tra được.")
    return _outcome(embedded, status)


def _outcome(embedded: Any, status: Any) -> SignatureCheck:
    """Turn pyHanko's status into the three questions an officer asks: changed? whose key? trusted?"""
    certificate = x509.load_der_x509_certificate(status.signing_cert.dump())
    subject = certificate.subject.rfc4514_string()
    unit_code = _first(certificate.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    signer_name = _first(certificate.subject, NameOID.COMMON_NAME) or subject
    whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    intact = bool(status.intact and status.valid and whole_file)
    # Asked apart from integrity (pyHanko's ``trusted`` folds it in): a tampered file may still name a known signer.
    trusted = status.trust_problem_indic is None and status.validation_path is not None
    signed_at = status.signer_reported_dt or embedded.self_reported_timestamp
    if not (status.intact and status.valid):
        detail = "Tệp đã bị sửa sau khi ký: nội dung không còn khớp với chữ ký số."
    elif not whole_file:
        detail = "Tệp có thêm nội dung sau khi ký: chữ ký số không bao trùm toàn bộ tệp."
    elif not trusted:
        detail = f"Chứng thư của người ký ({signer_name}) không do cơ quan chứng thực tin cậy cấp."
    else:
        detail = f"Chữ ký số hợp lệ: {signer_name} đã ký và tệp không bị thay đổi."
    return SignatureCheck(
        signed=True,
        intact=intact,
        trusted=trusted,
        valid=intact and trusted,
        signer_subject=subject,
        signer_unit_code=unit_code,
        signed_at=signed_at,
        detail_vi=detail,
        reason=_text(embedded.sig_object.get("/Reason")),
        location=_text(embedded.sig_object.get("/Location")),
    )


def _certificates(paths: Sequence[Path]) -> list[Any]:
    """asn1crypto certificates from PEM/DER files, as pyHanko's signers want them."""
    return [cert for path in paths for cert in load_certs_from_pemder_data(path.read_bytes())]


def _unsigned(detail: str) -> SignatureCheck:
    return SignatureCheck(False, False, False, False, None, None, None, detail)


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _as_asn1(root: TrustRoot) -> Any:
    """pyHanko wants asn1crypto certificates; the rest of hoso speaks pyca/cryptography."""
    der = root.public_bytes(serialization.Encoding.DER) if isinstance(root, x509.Certificate) else root.dump()
    return next(iter(load_certs_from_pemder_data(der)))
