"""The review page and its small JSON API (FastAPI; served by uvicorn on loopback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .page import PAGE
from .queue import Run, build_queue
from .store import VERDICTS, VerdictStore


class Verdict(BaseModel):
    """The body of ``POST /api/verdict``."""

    item: int
    verdict: str


def create_app(run: Run, n: int = 200, progress: bool = False) -> Any:
    """``GET /`` the page, ``GET /api/queue`` the cards with saved verdicts, ``POST /api/verdict``."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import HTMLResponse

    queue = build_queue(run, n, progress)
    by_item = {c["item"]: c for c in queue}
    store = VerdictStore(run.out)
    app = FastAPI(title="rewardkit audit", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def page() -> str:
        return PAGE

    @app.get("/api/queue")
    def get_queue() -> dict[str, Any]:
        saved = store.latest()
        return {
            "run": str(Path(run.out).resolve()),
            "source": run.summary["input"]["source"],
            "label": run.summary["input"]["label"],
            "cards": queue,
            "verdicts": {str(i): r["verdict"] for i, r in saved.items() if i in by_item},
        }

    @app.post("/api/verdict")
    def post_verdict(v: Verdict) -> dict[str, Any]:
        if v.item not in by_item:
            raise HTTPException(422, f"item {v.item} is not in the review queue")
        if v.verdict not in VERDICTS:
            raise HTTPException(422, f"verdict must be one of {list(VERDICTS)}, got {v.verdict!r}")
        c = by_item[v.item]
        store.append(
            {
                "item": v.item,
                "row": c["row"],
                "verdict": v.verdict,
                "label_before": c["label"],
                "scores": {s["column"]: s["value"] for s in c["scores"]},
            }
        )
        return {"saved": True, "item": v.item, "verdict": v.verdict}

    return app
