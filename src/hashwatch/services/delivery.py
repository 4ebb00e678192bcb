"""Delivery of notices and reminders: an outbox of .eml files, or SMTP when configured.

Messages are built with :mod:`email.message`; the outbox keeps one folder per notice and
recipient facility so an operator can hand the files on by any channel. Delivery happens
after the database transaction commits, so a failed transaction never leaves a token out
in the world that the database does not know.
"""

from __future__ import annotations

import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from hashwatch.settings import Settings
from hashwatch.store.types import utcnow

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Message:
    """One message to one recipient facility."""

    notice_ref: str
    facility_code: str
    kind: str  # "notice" | "reminder" | "token"
    to_address: str | None
    subject: str
    body: str


@dataclass(frozen=True)
class DeliveryReport:
    """Where messages went."""

    sent_by_smtp: int
    written_to_outbox: int
    outbox_files: tuple[Path, ...]
    missing_address: tuple[str, ...]


def _safe(name: str) -> str:
    return _UNSAFE.sub("_", name).strip("_") or "_"


def _email(message: Message, settings: Settings) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    if message.to_address:
        email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain="hashwatch")
    email["X-Hashwatch-Notice"] = message.notice_ref
    email["X-Hashwatch-Facility"] = message.facility_code
    email.set_content(message.body)
    return email


def deliver(messages: Sequence[Message], settings: Settings) -> DeliveryReport:
    """Send by SMTP when ``settings.smtp_host`` is set, else write each to the outbox."""
    missing = tuple(m.facility_code for m in messages if not m.to_address)
    if settings.smtp_host:
        sendable = [m for m in messages if m.to_address]
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for message in sendable:
                smtp.send_message(_email(message, settings))
        unsent = [m for m in messages if not m.to_address]
        files = _write_outbox(unsent, settings)
        return DeliveryReport(len(sendable), len(files), tuple(files), missing)
    files = _write_outbox(list(messages), settings)
    return DeliveryReport(0, len(files), tuple(files), missing)


def _write_outbox(messages: Sequence[Message], settings: Settings) -> list[Path]:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    paths = []
    for message in messages:
        folder = settings.outbox_dir / _safe(message.notice_ref) / _safe(message.facility_code)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{stamp}-{message.kind}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(_email(message, settings)))
        tmp.chmod(0o600)
        tmp.replace(path)
        paths.append(path)
    return paths
