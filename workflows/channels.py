"""Channel adapters that carry notices out of hoso: email over SMTP and SMS through a gateway.

Each adapter takes an ``OutgoingMessage`` and either hands it on or raises ``ChannelError`` (a Vietnamese
message with the server's reply code when there is one); ``states.delivery`` records the outcome and
retries refused sends. ``channels_from_settings`` is where the configured adapters are put together.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from config.settings import Settings
from states.delivery import Channel, OutgoingMessage
from states.errors import ChannelError


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:300]


class SmtpChannel:
    """Sends each notice as a plain UTF-8 email. One connection is kept and reused while it works: it is
    dropped after any error or after ``max_idle_seconds`` unused, and reopened for the next message.

    Not safe to share between processes; calls from several threads are serialised."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        sender: str = "hoso@localhost",
        starttls: bool = False,
        username: str | None = None,
        password: SecretStr | None = None,
        timeout_seconds: float = 10,
        tls_context: ssl.SSLContext | None = None,
        max_idle_seconds: float = 30,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        if not (username or "").isascii() or (password and not password.get_secret_value().isascii()):
            raise ValueError("smtplib logs in with ASCII credentials only")
        self.host = host
        self.port = port
        self.sender = sender
        self._envelope_sender = parseaddr(sender)[1]
        self._starttls = starttls
        self._username = username
        self._password = password
        self._timeout = timeout_seconds
        self._tls_context = tls_context
        self._max_idle = max_idle_seconds
        self._clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpChannel:
        if settings.smtp_host is None:
            raise ValueError("HOSO_SMTP_HOST is not set")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
            timeout_seconds=settings.smtp_timeout_seconds,
        )

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        try:
            email["From"] = self.sender
            email["To"] = message.address
            email["Subject"] = message.subject
            email["Date"] = format_datetime(self._clock())
            email["Message-ID"] = message.message_id
            email["Auto-Submitted"] = "auto-generated"
            email.set_content(message.body, charset="utf-8", cte="quoted-printable")
            recipients = [address.addr_spec for address in email["To"].addresses]
        except (ValueError, IndexError) as error:
            # The header parser refuses line breaks and malformed addresses (header injection included).
            raise ChannelError(
                f"Không tạo được thư gửi {message.address!r}: {error}", message_id=message.message_id
            ) from None
        if recipients != [message.address]:
            raise ChannelError(f"Địa chỉ người nhận không hợp lệ: {message.address!r}", message_id=message.message_id)
        return email

    def send(self, message: OutgoingMessage) -> None:
        email = self.compose(message)
        with self._lock:
            if self._smtp is not None and time.monotonic() - self._last_used > self._max_idle:
                self._drop(polite=True)
            while True:
                reused = self._smtp is not None
                try:
                    smtp = self._smtp or self._connect()
                    smtp.send_message(email, from_addr=self._envelope_sender, to_addrs=[message.address])
                except smtplib.SMTPServerDisconnected as error:
                    self._drop()
                    if reused:
                        continue  # the server closed a kept connection since the last message: reopen once
                    raise self._channel_error(error, message.address) from None
                except (smtplib.SMTPException, OSError) as error:
                    self._drop()
                    raise self._channel_error(error, message.address) from None
                self._last_used = time.monotonic()
                return

    def close(self) -> None:
        with self._lock:
            self._drop(polite=True)

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
        try:
            if self._starttls:
                smtp.starttls(context=self._tls_context or ssl.create_default_context())
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password.get_secret_value())
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def _drop(self, *, polite: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        if polite:
            try:
                smtp.quit()
                return
            except (smtplib.SMTPException, OSError):
                pass
        smtp.close()

    def _channel_error(self, error: Exception, address: str) -> ChannelError:
        where = self._where
        if isinstance(error, smtplib.SMTPRecipientsRefused):
            code, reply = next(iter(error.recipients.values()))
            return ChannelError(
                f"Máy chủ thư {where} từ chối người nhận {address} (mã {code}): {_reply_text(reply)}", code=code
            )
        if isinstance(error, smtplib.SMTPAuthenticationError):
            return ChannelError(
                f"Máy chủ thư {where} từ chối đăng nhập (mã {error.smtp_code}): {_reply_text(error.smtp_error)}",
                code=error.smtp_code,
            )
        if isinstance(error, smtplib.SMTPResponseException):
            return ChannelError(
                f"Máy chủ thư {where} từ chối thư gửi {address} (mã {error.smtp_code}): "
                f"{_reply_text(error.smtp_error)}",
                code=error.smtp_code,
            )
        if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):
            # smtplib reports a reply that never came as a lost connection; its cause is the timeout.
            return ChannelError(f"Máy chủ thư {where} không trả lời trong {self._timeout:g} giây")
        if isinstance(error, smtplib.SMTPServerDisconnected):
            return ChannelError(f"Máy chủ thư {where} ngắt kết nối giữa chừng: {error}")
        if isinstance(error, smtplib.SMTPNotSupportedError):
            return ChannelError(f"Máy chủ thư {where} không hỗ trợ yêu cầu: {error}")
        if isinstance(error, smtplib.SMTPException):
            return ChannelError(f"Máy chủ thư {where} không nhận thư gửi {address}: {error}")
        if isinstance(error, ssl.SSLError):
            return ChannelError(f"Không thiết lập được kết nối mã hóa (STARTTLS) với máy chủ thư {where}: {error}")
        return ChannelError(f"Không kết nối được máy chủ thư {where}: {error}")


class SmsGateway(Protocol):
    """Hands one text to the mobile network (or, in development, records it); raises ``ChannelError``."""

    def send_text(self, phone: str, text: str, *, message_id: str) -> None: ...


class RecordingSmsGateway:
    """Appends each text as one JSON line (address, message_id, text, recorded_at) to a file instead of
    sending it: the gateway of development and tests."""

    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()

    def send_text(self, phone: str, text: str, *, message_id: str) -> None:
        line = json.dumps(
            {"address": phone, "message_id": message_id, "text": text, "recorded_at": self._clock().isoformat()},
            ensure_ascii=False,
        )
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # One write per line in append mode: lines from several processes do not interleave.
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
        except OSError as error:
            raise ChannelError(f"Không ghi được tin nhắn vào {self.path}: {error}") from None

    def recorded(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as file:
            return [json.loads(line) for line in file if line.strip()]


class SmsChannel:
    def __init__(self, gateway: SmsGateway, *, max_length: int = 480) -> None:
        self.gateway = gateway
        self.max_length = max_length

    def send(self, message: OutgoingMessage) -> None:
        if not message.address:
            raise ChannelError("Tin nhắn không có số điện thoại người nhận", message_id=message.message_id)
        if len(message.body) > self.max_length:
            raise ChannelError(
                f"Tin nhắn dài {len(message.body)} ký tự, vượt giới hạn {self.max_length} ký tự",
                message_id=message.message_id,
            )
        self.gateway.send_text(message.address, message.body, message_id=message.message_id)


def channels_from_settings(settings: Settings) -> dict[str, Channel]:
    """The channels configured: ``email`` when an SMTP host is set, ``sms`` when an SMS adapter is."""
    channels: dict[str, Channel] = {}
    if settings.smtp_host is not None:
        channels["email"] = SmtpChannel.from_settings(settings)
    if settings.sms_adapter == "recording":
        channels["sms"] = SmsChannel(
            RecordingSmsGateway(settings.sms_recording_path), max_length=settings.sms_max_length
        )
    return channels
