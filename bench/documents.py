"""Documents issued per second: through hoso's issuing path, and through bare docxtpl on the same data.

The requests are real: addiction-determination dossiers of Phường Hoàn Kiếm (00070) are opened through the
engine and taken into administrative custody (positive test, status check, custody order), and the document
requests those steps leave in the outbox are issued by ``documents.issue.Issuer.issue``: the number from the
unit's gap-free sequence, the context composed from the dossier, the .docx rendered from the form's own
template (``documents/templates/<form>.docx``) with its QR code, the file written to the file store (a
temporary folder), the ``documents`` row and the PDF request recorded and the request marked done, one
transaction per document. Opening the dossiers and claiming the requests is not timed.

The bare side loads the same template with ``DocxTemplate``, renders it with the same Jinja settings, the
context data the issuing path rendered and the same QR image (captured during the warm-up, taken in turn)
and saves it to bytes, nothing else. The two sides take turns each round, so that disk and a busy neighbour
weigh on both alike.

When LibreOffice is installed, the documents issued in each round are then converted to PDF (batches of 20,
one LibreOffice call each) and signed with the unit's key from a throw-away test CA, as the outbox-drain
flow does; ``docx_pdf_signed`` is the documents per second of issuance and that stage together.

Backends: SQLite (a temporary file) and, with ``--postgres-url`` or HOSO_BENCH_POSTGRES_URL, PostgreSQL
(its schema is dropped and recreated: point it at a scratch database).

    python bench/documents.py [--documents N] [--rounds R] [--postgres-url URL] [--profile]

Prints `RESULT <name> <value> <unit>` lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and bench/transitions.py would hide the
# `transitions` library that the engine imports.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import cProfile
import io
import pstats
import tempfile
import time
from datetime import UTC, date, datetime
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import Environment, StrictUndefined
from sqlalchemy import text

from bench.scaffold import HELD_STEPS, add_officers, add_postgres_option
from config import CONFIG_DIR
from documents.compose import Composition
from documents.demo_ca import ensure_demo_ca, ensure_unit_key
from documents.issue import QR_MM, Issuer, pending_requests, qr_png
from documents.pdf import PdfConverter
from documents.pdf_stage import PdfFinisher, SigningSetup, claim_pdf_requests
from states.accounts import actor_by_username, create_unit
from states.actors import Actor
from states.clock import FixedClock
from states.engine import DossierEngine, SubjectInput
from states.identity import make_id_number
from states.procedures import Rulebook, load_rulebook
from states.store.database import Database
from states.store.migrate import fresh_database

OPENED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
BORN = date(1990, 1, 1)
OFFICERS = {
    "police": ("commune_police", "CAX-00070"),
    "chief": ("custody_officer", "CAX-00070"),
}


Rendered = tuple[Path, dict[str, Any], str]
"""A template, the data it was rendered with and the URL its QR code carries."""


class Capturing(Issuer):
    """The issuing path, keeping a copy of what it renders (for the bare side's data)."""

    captured: list[Rendered]

    def _render(
        self, form_code: str, composed: Composition, code: str, data: dict[str, Any] | None = None
    ) -> tuple[bytes, str, str]:
        path = self.template_path(form_code, composed.unit.get("province_code"))
        self.captured.append((path, dict(data or composed.template_data()), self.verification_url(code)))
        return super()._render(form_code, composed, code, data)


class Requests:
    """Dossiers opened and taken into custody through the engine, leaving document requests in the outbox."""

    def __init__(self, db: Database, rulebook: Rulebook) -> None:
        self.db = db
        self.clock = FixedClock(OPENED_AT)
        self.engine = DossierEngine(rulebook, db, self.clock)
        with db.reading() as repo:
            self.actors: dict[str, Actor] = {username: actor_by_username(repo, username) for username in OFFICERS}
        self.opened = 0

    def pending(self) -> int:
        with self.db.engine.connect() as conn:
            query = "SELECT count(*) FROM outbox WHERE kind = 'document' AND status = 'pending'"
            return int(conn.execute(text(query)).scalar_one())

    def claim(self, count: int) -> list[int]:
        """At least ``count`` pending requests (opening dossiers as needed), claimed as a worker would."""
        while self.pending() < count:
            self._hold_one()
        claimed = pending_requests(self.db, worker="bench", now=self.clock.now(), lease_seconds=3600, limit=count)
        if len(claimed) != count:
            raise RuntimeError(f"claimed {len(claimed)} of {count} requests")
        return claimed

    def _hold_one(self) -> None:
        serial = self.opened
        self.opened += 1
        subject = SubjectInput(f"Người thử {serial}", BORN, make_id_number("001", BORN, "male", serial), "00070")
        dossier_id = self.engine.open_dossier(self.actors["police"], "addiction_determination", subject)
        for version, (who, event, payload) in enumerate(HELD_STEPS, start=1):
            self.engine.fire(self.actors[who], dossier_id, event, payload, version)


def prepare(url: str, rulebook: Rulebook) -> Database:
    db = fresh_database(url)
    with db.transaction() as repo:
        create_unit(
            repo,
            rulebook.regimes,
            code="CAX-00070",
            name="Công an phường Hoàn Kiếm",
            kind="commune_police",
            commune_code="00070",
        )
        add_officers(repo, rulebook, OFFICERS, OPENED_AT)
    return db


def run_issuer(issuer: Issuer, claimed: list[int], now: datetime) -> tuple[int, float]:
    started = time.perf_counter()
    for outbox_id in claimed:
        outcome = issuer.issue(outbox_id, now)
        if outcome.outcome != "issued":
            raise RuntimeError(f"request {outbox_id}: {outcome.outcome} ({outcome.detail})")
    return len(claimed), time.perf_counter() - started


def render_bare(rendered: Rendered) -> bytes:
    path, data, url = rendered
    template = DocxTemplate(str(path))
    qr = InlineImage(template, io.BytesIO(qr_png(url)), width=Mm(QR_MM))
    template.render({**data, "qr": qr}, jinja_env=Environment(undefined=StrictUndefined, autoescape=True))
    output = io.BytesIO()
    template.save(output)
    return output.getvalue()


def run_pdfs(finisher: PdfFinisher, now: datetime) -> tuple[int, float]:
    """Convert and sign every waiting PDF request, 20 per LibreOffice call."""
    started, done = time.perf_counter(), 0
    while claimed := claim_pdf_requests(finisher.db, worker="bench", now=now, lease_seconds=3600, limit=20):
        outcomes = finisher.finish_claimed(claimed, now, retry_seconds=30)
        if any(outcome.outcome != "signed" for outcome in outcomes):
            raise RuntimeError(f"PDF stage: {[(o.outcome, o.detail) for o in outcomes]}")
        done += len(outcomes)
    return done, time.perf_counter() - started


def run_bare(pool: list[Rendered], count: int, start: int) -> tuple[int, float]:
    started = time.perf_counter()
    for n in range(start, start + count):
        if not render_bare(pool[n % len(pool)]):
            raise RuntimeError("empty document")
    return count, time.perf_counter() - started


def measure(label: str, url: str, rulebook: Rulebook, documents: int, rounds: int, profile: bool) -> None:
    db = prepare(url, rulebook)
    requests = Requests(db, rulebook)
    now = requests.clock.now()
    with tempfile.TemporaryDirectory() as folder:
        issuer = Capturing.create(db, rulebook, Path(folder) / "van-ban")
        issuer.captured = []
        keys = Path(folder) / "pki"
        ensure_demo_ca(keys)
        ensure_unit_key(keys, "CAX-00070", "Công an phường Hoàn Kiếm")
        converter = PdfConverter()
        finisher = PdfFinisher(db, issuer.files, converter, SigningSetup(keys, trust_roots=(keys / "ca.cert.pem",)))
        run_issuer(issuer, requests.claim(20), now)  # warm-up; its contexts are the bare side's data
        if converter.available():
            run_pdfs(finisher, now)
        pool = list(issuer.captured)
        run_bare(pool, 20, 0)
        per_round = max(1, documents // rounds)
        totals: dict[str, tuple[int, float]] = {"issuer": (0, 0.0), "bare": (0, 0.0), "pdf": (0, 0.0)}
        profiler = cProfile.Profile() if profile else None
        for round_number in range(rounds):
            claimed = requests.claim(per_round)
            order = ["issuer", "bare"] if round_number % 2 == 0 else ["bare", "issuer"]
            for side in order:
                if side == "issuer":
                    if profiler is not None:
                        profiler.enable()
                    count, seconds = run_issuer(issuer, claimed, now)
                    if profiler is not None:
                        profiler.disable()
                else:
                    count, seconds = run_bare(pool, per_round, round_number * per_round)
                totals[side] = (totals[side][0] + count, totals[side][1] + seconds)
            if converter.available():
                count, seconds = run_pdfs(finisher, now)
                totals["pdf"] = (totals["pdf"][0] + count, totals["pdf"][1] + seconds)
        with db.engine.connect() as conn:
            issued = int(conn.execute(text("SELECT count(*) FROM documents")).scalar_one())
        if issued != 20 + rounds * per_round:
            raise RuntimeError(f"{issued} documents recorded, {20 + rounds * per_round} expected")
    db.dispose()
    issuer_rate = totals["issuer"][0] / totals["issuer"][1]
    bare_rate = totals["bare"][0] / totals["bare"][1]
    print(f"RESULT {label}_documents_per_second {issuer_rate:.1f} documents/s")
    print(f"RESULT {label}_bare_docxtpl_per_second {bare_rate:.1f} documents/s")
    print(f"RESULT {label}_documents_to_bare_ratio {issuer_rate / bare_rate:.3f} ratio")
    if totals["pdf"][0]:
        signed_rate = totals["pdf"][0] / (totals["issuer"][1] + totals["pdf"][1])
        print(f"RESULT {label}_docx_pdf_signed_per_second {signed_rate:.2f} documents/s")
    else:
        print(f"# {label}: {PdfConverter().unavailable_reason_vi()}", file=sys.stderr)
    if profiler is not None:
        report = io.StringIO()
        pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(40)
        print(report.getvalue(), file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--documents", type=int, default=500, help="documents per side")
    parser.add_argument("--rounds", type=int, default=4, help="turns taken by the issuing path and bare docxtpl")
    parser.add_argument("--profile", action="store_true", help="cProfile the issuing side (stderr; it slows that side)")
    add_postgres_option(parser)
    args: Any = parser.parse_args(argv)
    rulebook = load_rulebook(CONFIG_DIR)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'documents.sqlite3'}"
        measure("sqlite", url, rulebook, args.documents, args.rounds, args.profile)
    if args.postgres_url:
        measure("postgresql", args.postgres_url, rulebook, args.documents, args.rounds, args.profile)


if __name__ == "__main__":
    main()
