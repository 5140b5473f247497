"""A disk cache of judge answers keyed by (model, prompt, params): re-runs are identical and free."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

#: ``cache="auto"`` stores under ``$REWARDKIT_CACHE/judge`` (default ``~/.cache/rewardkit/judge``).
AUTO = "auto"
OFF = "off"


def default_dir() -> Path:
    root = os.environ.get("REWARDKIT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "rewardkit")
    return Path(root) / "judge"


def cache_key(identity: Any) -> str:
    """The SHA-256 of ``identity`` as canonical JSON (sorted keys, no blanks)."""
    text = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class DiskCache:
    """One JSON file per key under ``folder/ab/abcdef...json``, written atomically (tmp + rename).

    Safe for several threads and processes: a reader sees a whole entry or none. A corrupt entry
    (a disk error, a hand edit) is a miss, and is overwritten by the next answer.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder).expanduser()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, sort_keys=True, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def open_cache(setting: str) -> DiskCache | None:
    """``"auto"`` -> the default folder, ``"off"`` -> no cache, anything else -> that folder."""
    if setting == OFF:
        return None
    return DiskCache(default_dir() if setting == AUTO else setting)
