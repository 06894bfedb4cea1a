"""Tables of hoso (SQLAlchemy Core). Alembic migrations under ``migrations/`` create them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC on every backend and hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC)


units = Table(
    "units",
    metadata,
    Column("code", String(40), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("province_code", String(2), nullable=True),
    Column("commune_code", String(5), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(80), nullable=False, unique=True),
    Column("full_name", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(40), nullable=False),
    Column("unit_code", String(40), ForeignKey("units.code"), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Where notices reach the officer outside the application (email over SMTP, SMS); optional.
    Column("email", String(255), nullable=True),
    Column("phone", String(20), nullable=True),
)

persons = Table(
    "persons",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("id_number", String(12), nullable=False, unique=True),
    Column("full_name", String(255), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("sex", String(10), nullable=True),
    Column("commune_code", String(5), nullable=False),
    Column("address", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # The name folded for matching: lower case, without diacritics (đ → d), whitespace collapsed.
    Column("name_key", String(255), nullable=True),
    Index("ix_persons_name_key", "name_key"),
)

dossiers = Table(
    "dossiers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("procedure_code", String(60), nullable=False),
    Column("procedure_version", String(10), nullable=False),
    Column("state", String(60), nullable=False),
    Column("version", Integer, nullable=False),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("commune_code", String(5), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("facts", JSON, nullable=False),
    Column("parties", JSON, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    # The subject's details as the opening officer gave them (the person row keeps the first ones seen).
    Column("subject", JSON, nullable=True),
    # The dossier whose step opened this one (a follow-up procedure of the same person's case).
    Column("parent_id", String(36), ForeignKey("dossiers.id"), nullable=True),
    # The only unit that may see the dossier (parties["confidential"]), as a column lists can index.
    Column("confidential_to", String(40), nullable=True),
    Index("ix_dossiers_place_state", "province_code", "commune_code", "state"),
    Index("ix_dossiers_person", "person_id", "procedure_code"),
    Index("ix_dossiers_opened", "opened_at", "id"),
    Index("ix_dossiers_commune_opened", "province_code", "commune_code", "opened_at"),
    Index("ix_dossiers_confidential", "confidential_to"),
    # Statistics: the dossiers of a procedure in a place, with their person (answered from the index alone).
    Index("ix_dossiers_place_procedure", "province_code", "procedure_code", "commune_code", "person_id"),
    # On PostgreSQL also one partial index per kind of designated unit, on (parties ->> kind, opened_at):
    # migration 0013 (they are expressions, made by the migration alone).
)

history = Table(
    "history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event", String(60), nullable=False),
    Column("from_state", String(60), nullable=True),
    Column("to_state", String(60), nullable=False),
    Column("actor_user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("actor_username", String(80), nullable=False),
    Column("actor_role", String(40), nullable=False),
    Column("actor_unit", String(40), nullable=False),
    Column("regime", String(10), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    # When the step was written; ``occurred_at`` is the time of the legal fact it records.
    Column("recorded_at", UtcDateTime, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    # HMAC of the hash under the history key (outside the database) and which key made it; NULL on rows
    # written before sealing began, until `hoso audit seal` seals them.
    Column("seal", String(64), nullable=True),
    Column("key_id", String(16), nullable=True),
    UniqueConstraint("dossier_id", "seq", name="uq_history_dossier_seq"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("refreshed_at", UtcDateTime, nullable=True),
    # SHA-256 of the secret part of the current refresh token; each refresh replaces it.
    Column("refresh_hash", String(64), nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    # logout, reuse (an old refresh token came back), disabled (the account was disabled)
    Column("revoked_reason", String(40), nullable=True),
    Column("address", String(64), nullable=True),
    Index("ix_sessions_user", "user_id", "revoked_at"),
)

reads = Table(
    "reads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("username", String(80), nullable=False),
    Column("unit_code", String(40), nullable=False),
    Column("role", String(40), nullable=False),
    # dossier, dossier_list, person, person_search, document, control_slip, history, reads
    Column("kind", String(20), nullable=False),
    Column("target", String(200), nullable=False),
    Column("dossier_id", String(36), nullable=True),
    Column("path", String(300), nullable=False),
    Column("purpose", String(500), nullable=True),
    Index("ix_reads_dossier", "dossier_id", "id"),
    Index("ix_reads_user", "user_id", "id"),
)

history_checkpoints = Table(
    "history_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime, nullable=False),
    # The heads (dossier id, seq, hash) that changed since the previous checkpoint, and the digest that
    # chains this checkpoint to the previous one; the Ed25519 signature is over the digest.
    Column("previous_digest", String(64), nullable=False),
    Column("last_history_id", Integer, nullable=False),
    Column("heads", JSON, nullable=False),
    Column("dossiers", Integer, nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("signature", String(128), nullable=False),
    Column("public_key", String(64), nullable=False),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=False),
    Column("state", String(60), nullable=False),
    Column("role", String(40), nullable=False),
    Column("holder_roles", JSON, nullable=False),
    Column("unit_code", String(40), nullable=True),
    Column("title", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_seq", Integer, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("closed_seq", Integer, nullable=True),
    Column("closed_by", Integer, ForeignKey("users.id"), nullable=True),
    # Set on the task the sweep gives the responsible officers when this deadline is overdue.
    Column("deadline_id", Integer, ForeignKey("deadlines.id"), nullable=True),
    # The officer working on the task (claimed or assigned); NULL while it waits in the unit's queue.
    Column("assignee_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("assigned_at", UtcDateTime, nullable=True),
    # The officer a delegated task goes back to.
    Column("owner_id", Integer, ForeignKey("users.id"), nullable=True),
    # The dossier's earliest open time limit while the task is open (kept by every step): queues sort by it.
    Column("due_at", UtcDateTime, nullable=True),
    Index("ix_tasks_open", "status", "role", "unit_code"),
    Index("ix_tasks_dossier", "dossier_id", "status"),
    Index("ix_tasks_assignee", "assignee_id", "status"),
    Index(
        "ix_tasks_queue",
        "unit_code",
        "status",
        "due_at",
        "id",
        postgresql_include=["assignee_id", "role", "dossier_id"],
    ),
)

task_events = Table(
    "task_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", Integer, ForeignKey("tasks.id"), nullable=False),
    # claimed, released, assigned, delegated, returned, reassigned
    Column("action", String(20), nullable=False),
    Column("actor_user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("from_user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("to_user_id", Integer, ForeignKey("users.id"), nullable=True),
    # Set when the task went to a substitute instead of the officer named.
    Column("instead_of_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("note", Text, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_task_events_task", "task_id", "id"),
)

substitutes = Table(
    "substitutes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("substitute_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("from_day", Date, nullable=False),
    Column("to_day", Date, nullable=False),
    Column("reason", String(500), nullable=True),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    Column("revoked_by", Integer, ForeignKey("users.id"), nullable=True),
    Index("ix_substitutes_user", "user_id", "from_day"),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=False),
    Column("rule_id", String(60), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("title", String(500), nullable=False),
    Column("status", String(20), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("expiry_event", String(60), nullable=True),
    Column("explanation", JSON, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("opened_seq", Integer, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Column("closed_seq", Integer, nullable=True),
    # Alerts to the responsible officers: warning (a share of the allowed time) -> due -> overdue (escalated).
    # ``next_alert_at`` is when the sweep next looks at the row; NULL when nothing more is to be said.
    Column("warn_at", UtcDateTime, nullable=True),
    Column("alert_stage", String(20), nullable=False, server_default="none"),
    Column("next_alert_at", UtcDateTime, nullable=True),
    Index("ix_deadlines_sweep", "status", "due_at"),
    Index("ix_deadlines_alert", "next_alert_at"),
    Index("ix_deadlines_dossier", "dossier_id", "status"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The step that asked for it; none for a request of no dossier's (the signed PDF of a periodic report).
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=True),
    Column("history_seq", Integer, nullable=True),
    Column("kind", String(30), nullable=False),
    Column("name", String(80), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("created_at", UtcDateTime, nullable=False),
    Column("processed_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    # A worker claims a batch for a while (the lease); a row whose lease ran out is claimed again.
    Column("claimed_by", String(80), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Index("ix_outbox_pending", "status", "id"),
)

notices = Table(
    "notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # Unique per source and recipient: a notice is created at most once however often a flow runs.
    Column("key", String(200), nullable=False, unique=True),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=True),
    Column("kind", String(30), nullable=False),
    Column("unit_code", String(40), ForeignKey("units.code"), nullable=False),
    # The role within the unit the notice is for; NULL: every officer of the unit (e.g. its head's desk).
    Column("role", String(40), nullable=True),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("source", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("ack_due_at", UtcDateTime, nullable=True),
    Column("acknowledged_at", UtcDateTime, nullable=True),
    Column("acknowledged_by", Integer, ForeignKey("users.id"), nullable=True),
    Column("escalated_at", UtcDateTime, nullable=True),
    Column("escalation_of", Integer, ForeignKey("notices.id"), nullable=True),
    Index("ix_notices_unit", "unit_code", "id"),
    Index("ix_notices_ack_due", "ack_due_at"),
)

notice_deliveries = Table(
    "notice_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("address", String(255), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    # Sent with the message (SMTP Message-ID): a resend after a crash carries the same one.
    Column("message_id", String(200), nullable=False, unique=True),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(80), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("delivered_at", UtcDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_notice_deliveries_due", "status", "next_attempt_at"),
    Index("ix_notice_deliveries_notice", "notice_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(80), nullable=False),
    Column("address", String(64), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("reason", String(40), nullable=True),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_login_attempts_username", "username", "at"),
    Index("ix_login_attempts_address", "address", "at"),
)

identity_reviews = Table(
    "identity_reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("person_id", Integer, ForeignKey("persons.id"), nullable=False),
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=False),
    Column("given", JSON, nullable=False),
    Column("stored", JSON, nullable=False),
    # The province whose units may see both dossiers; NULL when they lie in different provinces (national).
    Column("province_code", String(2), nullable=True),
    Column("status", String(20), nullable=False),
    Column("opened_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("closed_at", UtcDateTime, nullable=True),
    Index("ix_identity_reviews_open", "status", "province_code"),
)


document_counters = Table(
    "document_counters",
    metadata,
    # One gap-free sequence per issuing unit, kind of document (its abbreviation, e.g. QĐ) and year.
    Column("unit_code", String(40), ForeignKey("units.code"), primary_key=True),
    Column("doc_type", String(20), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", Integer, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The dossier step whose request it answers (a request is issued once, with one number); none for a
    # document of no dossier's, such as a periodic report (``periodic_reports.document_id``).
    Column("dossier_id", String(36), ForeignKey("dossiers.id"), nullable=True),
    Column("history_seq", Integer, nullable=True),
    Column("outbox_id", Integer, ForeignKey("outbox.id"), nullable=True, unique=True),
    Column("form_code", String(60), nullable=False),
    Column("title", String(500), nullable=False),
    Column("unit_code", String(40), ForeignKey("units.code"), nullable=False),
    Column("doc_type", String(20), nullable=True),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=True),
    Column("number_symbol", String(80), nullable=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("issued_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("file_path", String(500), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("template", String(120), nullable=False),
    Column("template_sha256", String(64), nullable=False),
    Column("data_sha256", String(64), nullable=False),
    Column("verification_code", String(40), nullable=False, unique=True),
    # The signed PDF, made after issuance (outbox kind ``document_pdf``): ``pending``, ``signed``,
    # ``unsigned`` (no key for the unit) or ``unavailable`` (no converter on the server), with the reason.
    Column("pdf_status", String(20), nullable=False, server_default="pending"),
    Column("pdf_path", String(500), nullable=True),
    Column("pdf_sha256", String(64), nullable=True),
    Column("pdf_size_bytes", Integer, nullable=True),
    Column("pdf_note", Text, nullable=True),
    Column("signer_subject", String(500), nullable=True),
    Column("signed_at", UtcDateTime, nullable=True),
    Index("ix_documents_dossier", "dossier_id", "id"),
    Index("ix_documents_sha256", "sha256"),
    Index("ix_documents_pdf_sha256", "pdf_sha256"),
)

# Plan targets imported from a province's published table (states/targets.py): one row per import, versioned
# per layout, province and year; the values per unit (a commune, or the province for the table's total row).
target_sets = Table(
    "target_sets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("layout", String(60), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("source_document", String(500), nullable=False),
    Column("file_name", String(255), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("imported_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    UniqueConstraint("layout", "province_code", "year", "version", name="uq_target_sets_version"),
)

targets = Table(
    "targets",
    metadata,
    Column("set_id", Integer, ForeignKey("target_sets.id"), primary_key=True),
    Column("unit_code", String(5), primary_key=True),
    Column("column_key", String(60), primary_key=True),
    # The value exactly as read (a decimal number in text: SQLite has no exact decimal type).
    Column("value", String(40), nullable=False),
)

# Periodic reports (documents/periodic.py): one row per schedule, province and period; claimed by one worker at a
# time (lease), produced once, retried after a failure with the reason kept.
periodic_reports = Table(
    "periodic_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule", String(40), nullable=False),
    Column("province_code", String(2), nullable=False),
    Column("period", String(10), nullable=False),
    Column("layout", String(60), nullable=False),
    Column("recipient_unit", String(40), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("claimed_by", String(80), nullable=True),
    Column("lease_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("produced_at", UtcDateTime, nullable=True),
    Column("xlsx_name", String(300), nullable=True),
    Column("xlsx_sha256", String(64), nullable=True),
    Column("docx_name", String(300), nullable=True),
    Column("docx_sha256", String(64), nullable=True),
    Column("notice_id", Integer, nullable=True),
    # The report as an issued document: numbered, with its verification code and its signed PDF.
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=True),
    UniqueConstraint("schedule", "province_code", "period", name="uq_periodic_reports_period"),
    Index("ix_periodic_reports_province", "province_code", "due_at"),
)
