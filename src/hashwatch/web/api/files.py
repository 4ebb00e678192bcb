"""Uploaded and downloaded files: a private temporary directory per request."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from hashwatch.errors import InputError

MEDIA_TYPES: Final = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
}
_UNSAFE: Final = re.compile(r"[^\w.\-]+")
_CHUNK_BYTES: Final = 1024 * 1024


def scratch_dir() -> Path:
    """A new private temporary directory (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix="hashwatch-web-"))


async def save_upload(upload: UploadFile, directory: Path, suffixes: tuple[str, ...]) -> Path:
    """Write an upload into ``directory`` under its own (sanitised) name; checks its type."""
    name = _UNSAFE.sub("_", Path(upload.filename or "").name).strip("._") or "upload"
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in suffixes:
        raise InputError(
            f"{name}: unknown file type; upload a {' or '.join('.' + s for s in suffixes)} file",
            field="file",
        )
    path = directory / name
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK_BYTES):
            out.write(chunk)
    if path.stat().st_size == 0:
        raise InputError(f"{name}: the file is empty", field="file")
    return path


def download(filename: str, write: Callable[[Path], object]) -> FileResponse:
    """Stream the file ``write`` makes as an attachment; its scratch copy goes once sent."""
    directory = scratch_dir()
    path = directory / _UNSAFE.sub("_", filename)
    try:
        write(path)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES.get(path.suffix.lstrip("."), "application/octet-stream"),
        filename=path.name,
        background=BackgroundTask(shutil.rmtree, directory, ignore_errors=True),
    )


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` for a download named ``filename`` (RFC 6266): an ASCII
    fallback name and the UTF-8 name percent-encoded, so a notice reference such as
    ``京发改〔2026〕1号`` neither breaks the header nor injects into it."""
    fallback = _UNSAFE.sub("_", filename.encode("ascii", "replace").decode("ascii")) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_responses(*suffixes: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of a download of one of these file types."""
    content = {
        MEDIA_TYPES[s].split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
        for s in suffixes
    }
    return {200: {"content": content, "description": "The file, as an attachment."}}
