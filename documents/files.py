"""The file store of issued documents: a directory (``HOSO_DOCUMENTS_DIR``) of files written once.

A file is written to a temporary name, flushed to disk and renamed into place, so a crash never leaves a
half-written document under a name the database points to."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative: str, data: bytes) -> str:
        """Store ``data`` under ``relative`` (refusing to replace a file) and return that name."""
        target = self._inside(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            raise FileExistsError(f"Tệp văn bản đã có: {relative}")
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".dang-ghi-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return relative

    def read(self, relative: str) -> bytes:
        return self._inside(relative).read_bytes()

    def _inside(self, relative: str) -> Path:
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"Đường dẫn ra ngoài kho văn bản: {relative}")
        return target
