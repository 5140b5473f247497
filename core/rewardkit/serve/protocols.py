"""Other trainers' request shapes, turned into the host's (completions, prompts, columns) and back.

* NeMo Gym's resources server: :mod:`rewardkit.serve.nemo_gym`.
* verl: ``POST /verl/compute_score`` takes the arguments verl passes a reward function
  (``data_sources``, ``solution_strs``, ``ground_truths``, ``extra_infos``, or their singular
  forms for one item) and answers verl's result dicts: ``{"score", "rewardkit_none",
  "rewardkit_error", "rewardkit_timeout"}`` per item.
"""

from __future__ import annotations

from typing import Any

from .schemas import VerlBatchRequest
from .scoring import RequestError


def verl_inputs(req: VerlBatchRequest, label_column: str) -> tuple[list[str], dict[str, list[Any]], bool]:
    """Completions, columns (``ground_truths`` fill the label column), and whether it was a batch."""
    batch = req.solution_strs is not None
    if batch == (req.solution_str is not None):
        raise RequestError("solution_strs", "give verl's batch arguments (solution_strs, ground_truths, ...) "
                                            "or one item's (solution_str, ground_truth, ...), not both or neither")
    if batch:
        solutions = list(req.solution_strs or [])
        truths = req.ground_truths if req.ground_truths is not None else [None] * len(solutions)
        if len(truths) != len(solutions):
            raise RequestError("ground_truths", f"{len(truths)} ground_truths for {len(solutions)} solution_strs")
    else:
        solutions, truths = [req.solution_str or ""], [req.ground_truth]
    columns = {label_column: [t if isinstance(t, str) or t is None else str(t) for t in truths]}
    if all(t is None for t in truths):
        columns = {}
    return solutions, columns, batch


def verl_item(item: dict[str, Any], fill: float) -> dict[str, Any]:
    value = item["value"]
    out: dict[str, Any] = {"score": float(fill if value is None else value)}
    for status in ("none", "error", "timeout"):
        out[f"rewardkit_{status}"] = 1.0 if item["status"] == status else 0.0
    return out
