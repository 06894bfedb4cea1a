"""The notice channels against a real SMTP server (aiosmtpd on 127.0.0.1) and the recording SMS gateway:
what arrives, once, and how refusals and outages end up in the delivery rows."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr, ValidationError

from config.settings import Settings
from states.delivery import Channel, OutgoingMessage, deliver_batch
from states.errors import ChannelError
from states.procedures import Rulebook
from states.store.database import Database
from tests.states.test_delivery import NOW, PERSON, STAFF, Clock, add_staff, deliveries, post_notice
from workflows.channels import RecordingSmsGateway, SmsChannel, SmtpChannel, channels_from_settings

SENDER = "Hệ thống hoso <hoso@hoso.example.vn>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    peer: str
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    authenticated: bool

    @property
    def body(self) -> str:
        return str(self.message.get_content())


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts, or answers with the reply it is told to."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.recipient_reply: str | None = None
        self.data_reply: str | None = None

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self.recipient_reply:
            return self.recipient_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert envelope.original_content is not None and envelope.mail_from is not None
        message = message_from_bytes(envelope.original_content, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(
                str(session.peer),
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message,
                tls=session.ssl is not None,
                authenticated=bool(session.authenticated),
            )
        )
        return "250 Message accepted"


class MailServer:
    def __init__(self, **options: Any) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._options = options
        self._controller = self._start()

    def _start(self) -> Controller:
        controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, server_hostname="mail.test", **self._options
        )
        controller.start()
        return controller

    def restart(self) -> None:
        self._controller.stop()
        self._controller = self._start()

    def stop(self) -> None:
        self._controller.stop()

    def channel(self, **options: Any) -> SmtpChannel:
        return SmtpChannel(host="127.0.0.1", port=self.port, sender=SENDER, **options)


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    yield server
    server.stop()


def message(address: str = "canbo@cax00070.example.vn", n: int = 1) -> OutgoingMessage:
    return OutgoingMessage("email", address, f"<notice-{n}-email-1@hoso.local>", "[hoso] Thông báo", "Nội dung")


# -- notices from the core, mailed through a real server ------------------------------------------------


def test_notices_are_mailed_once_each_in_vietnamese_without_personal_data(
    db: Database, rulebook: Rulebook, mail_server: MailServer, tmp_path: Path
) -> None:
    add_staff(db, rulebook, STAFF)
    title = "Đề nghị tiếp nhận hồ sơ xác định tình trạng nghiện ma túy"
    police = post_notice(db, rulebook, NOW, key="a", unit_code="CAX-00070", title=title)
    health = post_notice(db, rulebook, NOW, key="b", unit_code="YT-01-01", title=title)
    gateway = RecordingSmsGateway(tmp_path / "sms.jsonl")
    clock = Clock()
    with mail_server.channel(clock=clock) as email:
        channels: dict[str, Channel] = {"email": email, "sms": SmsChannel(gateway)}
        assert deliver_batch(db, rulebook, channels, worker="w1", clock=clock) == Counter(sent=5)
        clock.advance(hours=2)
        assert deliver_batch(db, rulebook, channels, worker="w1", clock=clock) == Counter()

    rows = deliveries(db, [police, health])
    assert {row["status"] for row in rows} == {"sent"}
    mailed = {row["message_id"]: row for row in rows if row["channel"] == "email"}
    received = mail_server.mailbox.received
    assert len(received) == len(mailed) == 3
    assert len({mail.peer for mail in received}) == 1, "one connection for the whole batch"
    officer_names = [full_name for _, _, full_name, _, _ in STAFF.values()]
    for mail in received:
        row = mailed[mail.message["Message-ID"]]
        assert mail.rcpt_tos == [row["address"]] and mail.message["To"] == row["address"]
        assert mail.mail_from == "hoso@hoso.example.vn" and mail.message["From"] == SENDER
        assert mail.message["Subject"] == f"[hoso] {title}"
        assert mail.message.get_content_charset() == "utf-8"
        assert mail.message["Date"].datetime == NOW
        unit = "Công an phường Hoàn Kiếm" if row["notice_id"] == police else "Cơ sở y tế số 1"
        assert f"Kính gửi {unit}," in mail.body
        assert f"«{title}» (số {row['notice_id']})" in mail.body
        assert "xác nhận đã nhận trước 23:59 ngày 03/03/2026" in mail.body
        text = mail.message["Subject"] + mail.body
        assert PERSON not in text and not any(name in text for name in officer_names)

    texted = {row["message_id"]: row for row in rows if row["channel"] == "sms"}
    recorded = gateway.recorded()
    assert sorted(line["message_id"] for line in recorded) == sorted(texted)
    for line in recorded:
        assert line["address"] == texted[line["message_id"]]["address"]
        assert line["text"] == f"hoso: {title} (TB số {police}). Xác nhận trước 23:59 ngày 03/03/2026"
        assert line["recorded_at"].startswith("20")
    assert len((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()) == 2


def test_a_temporary_refusal_is_retried_and_the_mail_arrives_once(
    db: Database, rulebook: Rulebook, mail_server: MailServer
) -> None:
    add_staff(db, rulebook, STAFF)
    notice_id = post_notice(db, rulebook, NOW, key="a", unit_code="YT-01-01")
    mail_server.mailbox.data_reply = "451 4.3.0 Mailbox busy, try again later"
    clock = Clock()
    with mail_server.channel() as email:
        for attempt in (1, 2):
            assert deliver_batch(db, rulebook, {"email": email}, worker="w1", clock=clock) == Counter(retry=1)
            (row,) = deliveries(db, [notice_id])
            assert row["last_error"] == (
                f"Máy chủ thư 127.0.0.1:{mail_server.port} từ chối thư gửi vanthu@yt0101.example.vn "
                "(mã 451): 4.3.0 Mailbox busy, try again later"
            )
            wait = dt.timedelta(seconds=rulebook.alerts.delivery.backoff_seconds(attempt))
            assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", attempt, clock() + wait)
            clock.advance(seconds=wait.total_seconds())
        mail_server.mailbox.data_reply = None
        assert deliver_batch(db, rulebook, {"email": email}, worker="w1", clock=clock) == Counter(sent=1)
        clock.advance(days=1)
        assert deliver_batch(db, rulebook, {"email": email}, worker="w1", clock=clock) == Counter()
    (row,) = deliveries(db, [notice_id])
    assert (row["status"], row["attempts"]) == ("sent", 3)
    assert [mail.message["Message-ID"] for mail in mail_server.mailbox.received] == [row["message_id"]]


def test_a_permanent_refusal_fails_after_the_last_attempt(
    db: Database, rulebook: Rulebook, mail_server: MailServer
) -> None:
    add_staff(db, rulebook, STAFF)
    notice_id = post_notice(db, rulebook, NOW, key="a", unit_code="YT-01-01")
    mail_server.mailbox.recipient_reply = "550 5.1.1 No such mailbox"
    max_attempts = rulebook.alerts.delivery.max_attempts
    clock = Clock()
    outcomes: Counter[str] = Counter()
    with mail_server.channel() as email:
        for _ in range(max_attempts + 2):
            outcomes += deliver_batch(db, rulebook, {"email": email}, worker="w1", clock=clock)
            clock.advance(days=1)
    assert outcomes == Counter(retry=max_attempts - 1, failed=1)
    (row,) = deliveries(db, [notice_id])
    assert (row["status"], row["attempts"]) == ("failed", max_attempts)
    assert "từ chối người nhận vanthu@yt0101.example.vn (mã 550): 5.1.1 No such mailbox" in row["last_error"]
    assert mail_server.mailbox.received == []


def test_a_server_that_is_down_means_a_retry(db: Database, rulebook: Rulebook) -> None:
    add_staff(db, rulebook, STAFF)
    notice_id = post_notice(db, rulebook, NOW, key="a", unit_code="YT-01-01")
    port = free_port()
    with SmtpChannel(host="127.0.0.1", port=port, timeout_seconds=2) as email:
        assert deliver_batch(db, rulebook, {"email": email}, worker="w1", clock=Clock()) == Counter(retry=1)
    (row,) = deliveries(db, [notice_id])
    assert row["last_error"].startswith(f"Không kết nối được máy chủ thư 127.0.0.1:{port}")
    wait = dt.timedelta(seconds=rulebook.alerts.delivery.retry_seconds)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("pending", 1, NOW + wait)


# -- the SMTP channel itself -------------------------------------------------------------------------------


def test_a_kept_connection_closed_by_the_server_is_reopened(mail_server: MailServer) -> None:
    with mail_server.channel() as email:
        email.send(message(n=1))
        mail_server.restart()
        email.send(message(n=2))
    received = mail_server.mailbox.received
    assert [mail.message["Message-ID"] for mail in received] == [
        "<notice-1-email-1@hoso.local>",
        "<notice-2-email-1@hoso.local>",
    ]
    assert received[0].peer != received[1].peer


def test_an_idle_connection_is_not_reused(mail_server: MailServer) -> None:
    with mail_server.channel(max_idle_seconds=0) as email:
        email.send(message(n=1))
        email.send(message(n=2))
    assert len({mail.peer for mail in mail_server.mailbox.received}) == 2


def test_a_silent_server_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(ChannelError, match=r"không trả lời trong 0\.3 giây"):
            SmtpChannel(host="127.0.0.1", port=port, timeout_seconds=0.3).send(message())


@pytest.mark.parametrize("address", ["a@b.vn\r\nBcc: spy@example.com", "hai@x.vn, ba@y.vn"])
def test_a_malformed_address_is_refused_before_anything_is_sent(mail_server: MailServer, address: str) -> None:
    with pytest.raises(ChannelError), mail_server.channel() as email:
        email.send(message(address))
    assert mail_server.mailbox.received == []


def _authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"hoso", b"mat-khau-smtp")
    return AuthResult(success=ok, handled=False)


def test_login_with_the_configured_account() -> None:
    server = MailServer(authenticator=_authenticator, auth_require_tls=False)
    try:
        with server.channel(username="hoso", password=SecretStr("mat-khau-smtp")) as email:
            email.send(message())
        refused = pytest.raises(ChannelError, match=r"từ chối đăng nhập \(mã 535\)")
        with refused, server.channel(username="hoso", password=SecretStr("sai")) as email:
            email.send(message(n=2))
    finally:
        server.stop()
    assert [mail.authenticated for mail in server.mailbox.received] == [True]


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_with_a_trusted_certificate_only(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = MailServer(tls_context=server_context, require_starttls=True)
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        with server.channel(starttls=True, tls_context=trusting) as email:
            email.send(message())
        with pytest.raises(ChannelError, match=r"mã hóa \(STARTTLS\)"), server.channel(starttls=True) as email:
            email.send(message(n=2))
        with pytest.raises(ChannelError, match="mã 530"), server.channel() as email:
            email.send(message(n=3))
    finally:
        server.stop()
    assert [mail.tls for mail in server.mailbox.received] == [True]


def test_starttls_against_a_server_without_it_is_refused(mail_server: MailServer) -> None:
    with pytest.raises(ChannelError, match="không hỗ trợ"), mail_server.channel(starttls=True) as email:
        email.send(message())
    assert mail_server.mailbox.received == []


# -- SMS and settings ------------------------------------------------------------------------------------


def test_a_text_over_the_limit_is_refused_and_not_recorded(tmp_path: Path) -> None:
    gateway = RecordingSmsGateway(tmp_path / "sms.jsonl")
    channel = SmsChannel(gateway, max_length=70)
    channel.send(OutgoingMessage("sms", "0912345678", "<m1>", "", "ư" * 70))
    with pytest.raises(ChannelError, match="Tin nhắn dài 71 ký tự, vượt giới hạn 70 ký tự"):
        channel.send(OutgoingMessage("sms", "0912345678", "<m2>", "", "ư" * 71))
    assert [(line["message_id"], line["text"]) for line in gateway.recorded()] == [("<m1>", "ư" * 70)]


def test_a_recording_file_that_cannot_be_written_is_a_refusal(tmp_path: Path) -> None:
    with pytest.raises(ChannelError, match="Không ghi được tin nhắn"):
        RecordingSmsGateway(tmp_path).send_text("0912345678", "hoso", message_id="<m1>")


def test_channels_follow_the_settings(tmp_path: Path) -> None:
    sms_path = tmp_path / "sms.jsonl"
    assert set(channels_from_settings(Settings(sms_recording_path=sms_path))) == {"sms"}
    assert channels_from_settings(Settings(sms_adapter="none")) == {}
    configured = channels_from_settings(
        Settings(
            smtp_host="mail.hoso.example.vn",
            smtp_port=587,
            smtp_starttls=True,
            smtp_username="hoso",
            smtp_password=SecretStr("mat-khau-smtp"),
            sms_adapter="none",
        )
    )
    email = configured["email"]
    assert isinstance(email, SmtpChannel) and (email.host, email.port) == ("mail.hoso.example.vn", 587)


def test_the_environment_configures_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSO_SMTP_HOST", "mail.hoso.example.vn")
    monkeypatch.setenv("HOSO_SMTP_PASSWORD", "mat-khau-smtp")
    monkeypatch.setenv("HOSO_SMTP_USERNAME", "hoso")
    monkeypatch.setenv("HOSO_SMS_MAX_LENGTH", "160")
    settings = Settings()
    assert settings.smtp_password is not None and settings.smtp_password.get_secret_value() == "mat-khau-smtp"
    assert "mat-khau-smtp" not in repr(settings)
    assert settings.sms_max_length == 160


@pytest.mark.parametrize(
    "bad",
    [
        {"smtp_port": 0},
        {"smtp_port": 70000},
        {"smtp_sender": "không phải địa chỉ"},
        {"smtp_sender": "hoso@x.vn\r\nBcc: spy@example.com"},
        {"smtp_timeout_seconds": 0},
        {"smtp_host": "mail.test", "smtp_username": "hoso"},
        {"smtp_username": "hoso", "smtp_password": "x"},
        {"smtp_host": "mail.test", "smtp_username": "hoso", "smtp_password": "mật-khẩu"},
        {"sms_adapter": "twilio"},
        {"sms_max_length": 10},
    ],
)
def test_bad_channel_settings_fail_fast(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(**bad)


def test_recorded_lines_are_json(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "sms.jsonl"
    gateway = RecordingSmsGateway(path, clock=lambda: NOW)
    gateway.send_text("0912345678", "Thông báo số 7", message_id="<m7>")
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "address": "0912345678",
        "message_id": "<m7>",
        "text": "Thông báo số 7",
        "recorded_at": "2026-03-02T02:00:00+00:00",
    }
