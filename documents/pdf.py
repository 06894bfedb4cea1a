"""Issued .docx files to PDF with LibreOffice headless, the PDF being what gets signed and sent.

LibreOffice starts slowly (about 1.5 s), so a batch goes through one invocation. Each call gets its own
profile directory: two processes sharing the default profile would block or crash each other.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from states.errors import HosoError


class PdfConversionError(HosoError):
    """LibreOffice failed, timed out or produced no PDF; the .docx is still issued, without its PDF."""


@dataclass
class PdfConverter:
    soffice: str = "soffice"
    timeout_seconds: int = 120

    def available(self) -> bool:
        return self._binary() is not None

    def unavailable_reason_vi(self) -> str:
        return "Không có LibreOffice (soffice) trên máy chủ: chỉ có bản .docx, chưa có bản PDF ký số."

    def convert_many(self, docx_files: list[Path], out_dir: Path) -> dict[Path, Path]:
        """Convert every file in one LibreOffice run; the answer maps each .docx to its PDF in ``out_dir``."""
        if not docx_files:
            return {}
        binary = self._binary()
        if binary is None:
            raise PdfConversionError(self.unavailable_reason_vi())
        targets = _targets(docx_files, out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hoso-soffice-") as profile:
            command = [
                binary,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out_dir),
                *(str(path) for path in docx_files),
            ]
            self._run(command)
        missing = [source.name for source, target in targets.items() if not _is_pdf(target)]
        if missing:
            raise PdfConversionError(
                f"LibreOffice không tạo được bản PDF cho: {', '.join(missing)}. Tệp .docx có thể bị hỏng.",
                files=missing,
            )
        return targets

    def convert(self, docx_bytes: bytes) -> bytes:
        """One document in memory, for callers that hold bytes rather than files."""
        with tempfile.TemporaryDirectory(prefix="hoso-pdf-") as work:
            source = Path(work) / "van-ban.docx"
            source.write_bytes(docx_bytes)
            return self.convert_many([source], Path(work) / "pdf")[source].read_bytes()

    def _binary(self) -> str | None:
        if os.sep in self.soffice:
            return self.soffice if Path(self.soffice).is_file() else None
        return shutil.which(self.soffice)

    def _run(self, command: list[str]) -> None:
        """Run in its own process group: on timeout the wrapper script and soffice.bin both have to go."""
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=_environment()
        )
        try:
            _, stderr = process.communicate(timeout=self.timeout_seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfConversionError(
                f"LibreOffice chuyển sang PDF quá {self.timeout_seconds} giây và đã bị dừng.",
                timeout_seconds=self.timeout_seconds,
            ) from None
        if process.returncode != 0:
            raise PdfConversionError(
                f"LibreOffice chuyển sang PDF thất bại (mã lỗi {process.returncode}).",
                returncode=process.returncode,
                stderr=stderr.decode(errors="replace")[-2000:],
            )


def _targets(docx_files: list[Path], out_dir: Path) -> dict[Path, Path]:
    """LibreOffice names each PDF after its source: two sources with one name would overwrite each other."""
    targets = {source: out_dir / f"{source.stem}.pdf" for source in docx_files}
    if len(set(targets.values())) != len(targets):
        raise PdfConversionError("Hai tệp .docx trùng tên: không thể chuyển cùng một lần sang PDF.")
    for target in targets.values():
        target.unlink(missing_ok=True)  # a stale PDF from an earlier run must not pass for a fresh one
    return targets


def _is_pdf(path: Path) -> bool:
    if not path.is_file():
        return False
    with path.open("rb") as stream:
        return stream.read(5) == b"%PDF-"


def _environment() -> dict[str, str]:
    """A UTF-8 locale, so file names and messages with Vietnamese letters pass through intact."""
    return {**os.environ, "LC_ALL": os.environ.get("LC_ALL") or "C.UTF-8"}
