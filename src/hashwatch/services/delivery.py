"""Delivery of notices and reminders: SMTP when configured, else an outbox of .eml files.

Messages are built (and so checked) inside the caller's transaction, as :class:`Message`
objects holding their final bytes; they are delivered after the transaction commits, so a
failed transaction never leaves a token in the world that the database does not know.
Delivery itself never loses a message: whatever SMTP cannot take (server down, address
refused) is written to the outbox, and the report says which facilities those were.

The outbox keeps one folder per notice and recipient facility,
``outbox/<notice>/<facility>/<time>-<kind>.eml``, created owner-only (0700 folders, 0600
files) because notices carry access tokens.
"""

from __future__ import annotations

import os
import re
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid
from pathlib import Path

from hashwatch.errors import ConfigurationError
from hashwatch.reporting.canonical import sha256_hex
from hashwatch.settings import Settings
from hashwatch.store.types import utcnow

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Message:
    """One message to one recipient facility."""

    notice_ref: str
    facility_code: str
    kind: str  # "notice" | "reminder"
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
    smtp_failed: tuple[str, ...] = ()
    smtp_error: str | None = None


@dataclass(frozen=True)
class Prepared:
    """A message with its e-mail already built (headers checked, bytes final)."""

    message: Message
    data: bytes


def folder_name(text: str) -> str:
    """A file-system-safe, collision-free folder name for a notice ref or facility code."""
    safe = _UNSAFE.sub("_", text).strip("._") or "_"
    if safe == text:
        return text
    return f"{safe[:48]}-{sha256_hex(text)[:10]}"


def prepare(messages: Sequence[Message], settings: Settings) -> list[Prepared]:
    """Build every e-mail now, so a bad header fails the caller's transaction."""
    prepared = []
    for message in messages:
        email = EmailMessage(policy=SMTP_POLICY)
        email["From"] = settings.mail_from
        if message.to_address:
            email["To"] = message.to_address
        email["Subject"] = message.subject
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = make_msgid(domain="hashwatch")
        email["X-Hashwatch-Notice"] = message.notice_ref
        email["X-Hashwatch-Facility"] = message.facility_code
        email.set_content(message.body, cte="8bit")
        prepared.append(Prepared(message, email.as_bytes()))
    return prepared


def deliver(prepared: Sequence[Prepared], settings: Settings) -> DeliveryReport:
    """Send by SMTP when ``settings.smtp_host`` is set; everything else goes to the outbox."""
    missing = tuple(p.message.facility_code for p in prepared if not p.message.to_address)
    sendable = [p for p in prepared if p.message.to_address]
    to_outbox = [p for p in prepared if not p.message.to_address]
    sent, failed, error = 0, [], None
    if settings.smtp_host and sendable:
        sent, unsent, error = _send(sendable, settings)
        failed = [p.message.facility_code for p in unsent]
        to_outbox += unsent
    elif not settings.smtp_host:
        to_outbox = list(prepared)
    files = write_outbox(to_outbox, settings)
    return DeliveryReport(sent, len(files), tuple(files), missing, tuple(failed), error)


def _send(
    prepared: Sequence[Prepared], settings: Settings
) -> tuple[int, list[Prepared], str | None]:
    assert settings.smtp_host
    sent, unsent = 0, []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password)
            for item in prepared:
                try:
                    assert item.message.to_address
                    smtp.sendmail(settings.mail_from, [item.message.to_address], item.data)
                    sent += 1
                except smtplib.SMTPRecipientsRefused:
                    unsent.append(item)
    except (OSError, smtplib.SMTPException) as exc:
        done = {id(p) for p in prepared[:sent]}
        unsent = [p for p in prepared if id(p) not in done]
        return sent, unsent, f"{type(exc).__name__}: {exc}"
    return sent, unsent, None


def write_outbox(prepared: Sequence[Prepared], settings: Settings) -> list[Path]:
    """Write each message as an owner-only .eml file; returns the paths."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    root = settings.outbox_dir.resolve()
    paths = []
    try:
        for item in prepared:
            message = item.message
            folder = root / folder_name(message.notice_ref) / folder_name(message.facility_code)
            if not folder.resolve().is_relative_to(root):  # pragma: no cover - defensive
                raise ConfigurationError(f"outbox folder {folder} leaves {root}")
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = folder / f"{stamp}-{message.kind}.eml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as stream:
                stream.write(item.data)
            paths.append(path)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot write the outbox at {root}: {exc.strerror}; {len(paths)} of "
            f"{len(prepared)} messages were written"
        ) from None
    return paths
