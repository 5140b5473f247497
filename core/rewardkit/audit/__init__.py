"""Label audits: a review queue from a bench run, a review page, and verdicts folded back as labels."""

from __future__ import annotations

from .merge import merge, wilson
from .queue import AuditError, build_queue, load_run

__all__ = ["AuditError", "build_queue", "load_run", "merge", "wilson"]
