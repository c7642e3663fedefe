"""The root command run inside the test's process: the same parsing and error handling as `wholeplace ...`
(messages, exit codes), without the seconds a new process spends importing. Keep one test per command family
as a real process; run the rest through this."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from wholeplace.cli import main


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_in_process(
    args: list[str],
    *,
    data_dir: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Ran:
    monkeypatch.setenv("WHOLEPLACE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WHOLEPLACE_DATABASE_URL", database_url)
    monkeypatch.setattr(sys, "argv", ["wholeplace", *args])
    capsys.readouterr()
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    said = capsys.readouterr()
    return Ran(code, said.out, said.err)
