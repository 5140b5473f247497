"""Verdicts, one JSON line each in ``OUT_DIR/audit.jsonl``, appended and synced as they are made."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

VERDICTS = ("correct", "wrong", "skip")
FILE = "audit.jsonl"


class VerdictStore:
    """Appends verdicts (a closed tab loses nothing) and reads back the latest one per item."""

    def __init__(self, out: str | Path) -> None:
        self.path = Path(out) / FILE
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        if record.get("verdict") not in VERDICTS:
            raise ValueError(f"verdict must be one of {list(VERDICTS)}, got {record.get('verdict')!r}")
        line = (
            json.dumps({**record, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, ensure_ascii=False)
            + "\n"
        )
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)

    def latest(self) -> dict[int, dict[str, Any]]:
        """The last verdict per item (a torn last line from a crash is ignored)."""
        out: dict[int, dict[str, Any]] = {}
        if not self.path.exists():
            return out
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                out[int(rec["item"])] = rec
            except (ValueError, KeyError, TypeError):
                continue
        return out
