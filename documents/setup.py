"""The documents stage as the settings describe it: where files go, which templates a province replaced,
where QR codes point, how PDFs are made and with which keys they are signed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from config.settings import Settings
from documents.files import FileStore
from documents.issue import Issuer
from documents.pdf import PdfConverter
from documents.pdf_stage import PdfFinisher, SigningSetup
from documents.signing import Pkcs11Config
from states.procedures import Rulebook
from states.store.database import Database


@dataclass(frozen=True)
class DocumentSetup:
    documents_dir: Path
    templates_dir: Path | None = None
    public_url: str = "http://127.0.0.1:8000"
    soffice: str = "soffice"
    signing: SigningSetup = field(default_factory=SigningSetup)

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentSetup:
        pkcs11 = None
        if settings.signing_pkcs11_module and settings.signing_pkcs11_token:
            pin = settings.signing_pkcs11_pin.get_secret_value() if settings.signing_pkcs11_pin else None
            pkcs11 = Pkcs11Config(
                settings.signing_pkcs11_module,
                settings.signing_pkcs11_token,
                pin,
                raw_mechanism=settings.signing_pkcs11_raw_mechanism,
            )
        passphrase = settings.signing_key_passphrase
        return cls(
            documents_dir=settings.documents_dir,
            templates_dir=settings.templates_dir,
            public_url=settings.public_url,
            soffice=settings.soffice,
            signing=SigningSetup(
                keys_dir=settings.signing_keys_dir,
                pkcs11=pkcs11,
                passphrase=passphrase.get_secret_value().encode() if passphrase else None,
                trust_roots=tuple(settings.signing_trust_roots),
            ),
        )

    @property
    def files(self) -> FileStore:
        return FileStore(self.documents_dir)

    def issuer(self, db: Database, rulebook: Rulebook) -> Issuer:
        return Issuer.create(
            db, rulebook, self.documents_dir, override_dir=self.templates_dir, public_url=self.public_url
        )

    def finisher(self, db: Database) -> PdfFinisher:
        return PdfFinisher(db, self.files, PdfConverter(self.soffice), self.signing)
