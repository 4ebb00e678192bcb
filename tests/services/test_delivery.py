from __future__ import annotations

import socket
import stat
from pathlib import Path

from hashwatch.services.delivery import Message, deliver, folder_name, prepare
from hashwatch.settings import Settings


def _messages() -> list[Message]:
    return [
        Message("京经信发〔2021〕12号", "DC-1", "notice", "a@example.cn", "s", "token abc"),
        Message("京经信发〔2021〕13号", "DC-1", "notice", None, "s", "token def"),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_folder_names_are_safe_and_do_not_collide() -> None:
    assert folder_name("DC-0001") == "DC-0001"
    assert folder_name("京经信发〔2021〕12号") != folder_name("京经信发〔2021〕13号")
    assert "/" not in folder_name("../../etc")
    assert not folder_name("..").startswith(".")


def test_outbox_files_are_owner_only(tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path)
    report = deliver(prepare(_messages(), cfg), cfg)
    assert report.written_to_outbox == 2
    assert len({p.parent.parent for p in report.outbox_files}) == 2
    for path in report.outbox_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert path.resolve().is_relative_to(cfg.outbox_dir.resolve())
    assert b"token abc" in report.outbox_files[0].read_bytes()  # readable, not base64


def test_an_unreachable_smtp_server_loses_nothing(tmp_path: Path) -> None:
    cfg = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=_free_port())
    report = deliver(prepare(_messages(), cfg), cfg)
    assert report.sent_by_smtp == 0
    assert report.smtp_failed == ("DC-1",)
    assert report.smtp_error is not None
    assert report.written_to_outbox == 2
