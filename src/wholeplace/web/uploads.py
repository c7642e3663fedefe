"""Files people upload through a page: the route that answers a browser gone part-way through sending one, and
the upload kept as a file of its own (safe) name in a private folder of the data directory while it is read."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, UploadFile
from starlette.requests import ClientDisconnect, Request

from wholeplace.core.errors import IngestError, WholeplaceError

UPLOADS = "uploads"  # the folder of the data directory that uploads pass through
COPY_BLOCK = 1 << 20
LONGEST_FILE_NAME = 200
UPLOAD_INTERRUPTED = "The upload did not finish, so nothing was loaded. Check your connection, choose the file again and upload it."
UNSAFE_IN_FILE_NAME = re.compile(r"[^\w .()-]+")

Loaded = TypeVar("Loaded")


class UploadRoute(APIRoute):
    """An upload's route. A browser that goes away part-way through sending a file is no fault of the service:
    it is answered (to nobody) with a 400 rather than logged as a crash. Nothing was loaded: the form is read,
    for its token, before the view runs."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handle_unless_gone(request: Request) -> Response:
            try:
                return await handle(request)
            except ClientDisconnect:
                return PlainTextResponse(UPLOAD_INTERRUPTED, status_code=400)

        return handle_unless_gone


@contextmanager
def saved_upload(uploaded: UploadFile, data_dir: Path) -> Iterator[Path]:
    """The upload as a file of its own name in a private folder of the data directory, removed afterwards."""
    folder = data_dir / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    private = Path(tempfile.mkdtemp(dir=folder))
    try:
        path = private / safe_file_name(uploaded.filename or "")
        with path.open("wb") as copy:
            uploaded.file.seek(0)
            shutil.copyfileobj(uploaded.file, copy, COPY_BLOCK)
        yield path
    finally:
        shutil.rmtree(private, ignore_errors=True)


@dataclass(frozen=True)
class Refused:
    """An upload that was not loaded: the lines its error summary lists."""

    lines: list[str]


def load_upload(
    data: FormData, *, choose: str, largest: int, load: Callable[[str, str], Loaded]
) -> Loaded | Refused:
    """The form's uploaded text file given to `load` (its name and text), or why it was not: no file came (`choose`
    asks for one), it is too large or not UTF-8, or `load` refused it."""
    if "file" not in data:
        return Refused([UPLOAD_INTERRUPTED])
    uploaded = data["file"]
    if not isinstance(uploaded, UploadFile) or not uploaded.filename:
        return Refused([choose])
    try:
        return load(uploaded.filename, uploaded_text(uploaded, largest=largest))
    except WholeplaceError as error:
        return Refused(error_lines(error))
    finally:
        uploaded.file.close()


def error_lines(error: WholeplaceError) -> list[str]:
    """An error's message a line for each problem, as the error summary lists them."""
    lines = [line.strip() for line in str(error.problem).splitlines() if line.strip()]
    where = error.where if isinstance(error, IngestError) else ""
    if where and lines:
        lines[0] = f"{where}: {lines[0]}"
    fixes = [line.strip() for line in error.fix.splitlines() if line.strip() and "the command" not in line]
    return [*lines, *fixes]


def uploaded_text(uploaded: UploadFile, *, largest: int) -> str:
    """An uploaded text file's content, refused when it is longer than `largest` bytes or not UTF-8."""
    content = uploaded.file.read(largest + 1)
    if len(content) > largest:
        raise IngestError(f"The file is larger than {largest:,} bytes.", file=uploaded.filename or "")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise IngestError(
            "The file is not UTF-8 text.", file=uploaded.filename or "", fix="Save it as UTF-8."
        ) from error


def safe_file_name(name: str) -> str:
    """The uploaded file's own name (as error messages and records give it), made safe to store; its extension
    is kept, as it says how the file is read."""
    base = Path(name.replace("\\", "/")).name
    cleaned = UNSAFE_IN_FILE_NAME.sub("_", base).strip(" .")
    if len(cleaned) > LONGEST_FILE_NAME:
        suffix = Path(cleaned).suffix[:20]
        cleaned = cleaned[: LONGEST_FILE_NAME - len(suffix)] + suffix
    return cleaned or "upload"
