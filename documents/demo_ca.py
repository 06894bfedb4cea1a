"""A local, throw-away certificate authority so the demo and the tests can sign PDFs without a real CA.

Its certificates say in their name that they are not for real use. Creation happens under a lock file
(two processes starting at once must not end with one's key beside the other's certificate), and every
file is written to a temporary name and moved into place, so a reader never sees half a file.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CA_COMMON_NAME = "hoso — CA thử nghiệm (không dùng thật)"
ORGANIZATION = "hoso"
CA_KEY_FILE = "ca.key.pem"
CA_CERT_FILE = "ca.cert.pem"
CA_YEARS = 10
UNIT_YEARS = 3
_BACKDATE = timedelta(minutes=5)  # tolerate a little clock skew between the machines that sign and check


def unit_key_path(directory: Path, unit_code: str) -> Path:
    return directory / f"{unit_code}.key.pem"


def unit_cert_path(directory: Path, unit_code: str) -> Path:
    return directory / f"{unit_code}.cert.pem"


def ensure_demo_ca(directory: Path) -> Path:
    """Create the CA key and self-signed certificate once; later calls reuse them. Returns the certificate."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / CA_KEY_FILE, directory / CA_CERT_FILE
    if key_path.exists() and cert_path.exists():
        return cert_path
    with _locked(directory):
        if not (key_path.exists() and cert_path.exists()):
            _create_ca(key_path, cert_path)
    return cert_path


def _create_ca(key_path: Path, cert_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        _builder(name, name, key.public_key(), now, now + timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    # Key first: a reader that sees the certificate can rely on its key being there too.
    _write_atomically(key_path, _key_pem(key), mode=0o600)
    _write_atomically(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def ensure_unit_key(directory: Path, unit_code: str, unit_name: str) -> None:
    """Give a unit its signing key and a certificate from the demo CA, unless it already has them."""
    key_path, cert_path = unit_key_path(directory, unit_code), unit_cert_path(directory, unit_code)
    if key_path.exists() and cert_path.exists():
        return
    ensure_demo_ca(directory)
    with _locked(directory):
        if not (key_path.exists() and cert_path.exists()):
            _create_unit_key(directory, key_path, cert_path, unit_code, unit_name)


def _within_64_bytes(name: str) -> str:
    """The name cut to the 64 bytes (UTF-8) a common name may hold; the unit code beside it identifies the
    unit anyway, and Vietnamese letters take two or three bytes each."""
    cut = name.encode()[:64].decode(errors="ignore")
    return cut.rstrip() if cut.strip() else name[:1]


def _create_unit_key(directory: Path, key_path: Path, cert_path: Path, unit_code: str, unit_name: str) -> None:
    ca_key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate((directory / CA_CERT_FILE).read_bytes())
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError(f"{directory / CA_KEY_FILE}: not an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _within_64_bytes(unit_name)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit_code),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        _builder(subject, ca_cert.subject, key.public_key(), now, now + timedelta(days=365 * UNIT_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_atomically(key_path, _key_pem(key), mode=0o600)
    _write_atomically(cert_path, certificate.public_bytes(serialization.Encoding.PEM), mode=0o644)


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, start: datetime, end: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start - _BACKDATE)
        .not_valid_after(end)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    """A CA signs certificates; a unit signs documents it stands behind (digitalSignature + nonRepudiation)."""
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=not cert_sign,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One creator at a time per directory, across processes."""
    with (directory / ".demo_ca.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes, *, mode: int) -> None:
    """Write beside the target and rename: readers never see half a file, and the key is never world-readable."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
