"""Trainer callbacks: the temperature schedule, the metrics JSONL log and sample completions."""

from __future__ import annotations

import json
import math
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from transformers import TrainerCallback


def temperature_at(step: int, total: int, start: float, end: float, kind: str = "linear") -> float:
    """The sampling temperature at ``step`` of ``total`` (0-based): ``constant``, ``linear`` or ``cosine``.

    >>> temperature_at(0, 11, 1.0, 0.5), temperature_at(10, 11, 1.0, 0.5), temperature_at(5, 11, 1.0, 0.5, "cosine")
    (1.0, 0.5, 0.75)
    """
    if kind == "constant" or total <= 1:
        return float(start)
    frac = min(1.0, max(0.0, step / (total - 1)))
    if kind == "cosine":
        frac = (1 - math.cos(math.pi * frac)) / 2
    return round(float(start + (end - start) * frac), 12)


def _fused_cells(model: Any) -> list[Any]:
    """Closure cells holding the temperature of TRL's fused log-prob head on ``model`` (if patched)."""
    cells = []
    seen: set[int] = set()
    todo = [model]
    while todo:
        m = todo.pop()
        if m is None or id(m) in seen:
            continue
        seen.add(id(m))
        fn = getattr(getattr(m, "forward", None), "__func__", None)
        code = getattr(fn, "__code__", None)
        if code is not None and fn.__closure__ and "temperature" in code.co_freevars and "original_forward" in code.co_freevars:
            cells.append(fn.__closure__[code.co_freevars.index("temperature")])
        todo.append(getattr(m, "module", None))  # DDP / DeepSpeed wrappers
        if hasattr(m, "get_base_model"):  # PEFT
            todo.append(m.get_base_model())
    return cells


def set_temperature(trainer: Any, value: float) -> bool:
    """Make ``trainer`` sample (and score log-probs) at ``value`` from its next generation on.

    Sets what TRL's GRPOTrainer really reads: the transformers ``generation_config`` and
    ``generation_kwargs``, the vLLM sampling temperature, and the temperature baked into the
    fused log-prob head of the policy and reference models (so that the policy gradient and the
    importance-sampling correction see the distribution that was sampled). Returns False when
    the log-prob head could not be updated (then only sampling changes, with a warning).
    """
    trainer.temperature = value
    gen_config = getattr(trainer, "generation_config", None)
    if gen_config is not None:
        gen_config.temperature = value
    gen_kwargs = getattr(trainer, "generation_kwargs", None)
    if isinstance(gen_kwargs, dict):
        gen_kwargs["temperature"] = value
    vllm = getattr(trainer, "vllm_generation", None)
    if vllm is not None:
        vllm.temperature = value
    cells = _fused_cells(getattr(trainer, "model", None)) + _fused_cells(getattr(trainer, "ref_model", None))
    for cell in cells:
        cell.cell_contents = value
    return bool(cells)


class TemperatureCallback(TrainerCallback):
    """Anneal the sampling temperature from ``start`` to ``end`` over the run, step by step.

    The value is applied at the start of each optimizer step on which the trainer generates
    a fresh batch (every step with TRL's defaults), so completions reused over several steps
    keep the temperature they were sampled and scored with.
    """

    def __init__(self, start: float, end: float, kind: str = "linear") -> None:
        self.start, self.end, self.kind = float(start), float(end), kind
        self.trainer: Any = None
        self.current = float(start)
        self.history: list[tuple[int, float]] = []
        self._warned = False

    def attach(self, trainer: Any) -> "TemperatureCallback":
        self.trainer = trainer
        return self

    def _generates_now(self) -> bool:
        t = self.trainer
        args = t.args
        every = (getattr(args, "steps_per_generation", None) or 1) * getattr(t, "num_iterations", 1)
        step = getattr(t, "_step", None)
        return step is None or getattr(t, "_buffered_inputs", None) is None or step % every == 0

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.trainer is None or not self._generates_now():
            return
        value = temperature_at(state.global_step, state.max_steps, self.start, self.end, self.kind)
        ok = set_temperature(self.trainer, value)
        if not ok and not self._warned and self.kind != "constant":
            self._warned = True
            warnings.warn("rewardkit: TRL's fused log-prob head was not found; the temperature schedule changes "
                          "sampling only", stacklevel=1)
        self.current = value
        self.history.append((state.global_step, value))


# -- reward statistics ------------------------------------------------------------------------------

@dataclass
class _Acc:
    n: int = 0
    total: float = 0.0
    sq: float = 0.0
    none: int = 0
    error: int = 0
    timeout: int = 0

    def add(self, values: Sequence[float | None]) -> None:
        for v in values:
            if v is None:
                self.none += 1
            else:
                self.n += 1
                self.total += v
                self.sq += v * v

    def vector(self) -> list[float]:
        return [self.n, self.total, self.sq, self.none, self.error, self.timeout]

    @classmethod
    def from_vector(cls, v: Sequence[float]) -> "_Acc":
        return cls(int(v[0]), float(v[1]), float(v[2]), int(v[3]), int(v[4]), int(v[5]))

    def summary(self) -> dict[str, Any]:
        mean = self.total / self.n if self.n else None
        std = math.sqrt(max(0.0, self.sq / self.n - mean * mean)) if self.n else None
        return {"mean": mean, "std": std, "n": self.n, "none": self.none, "error": self.error, "timeout": self.timeout}


@dataclass
class Recorder:
    """Accumulates every term's shaped scores (and the total) between two logging steps."""

    terms: list[str]
    keep_samples: int = 4
    _acc: dict[str, _Acc] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._acc = {name: _Acc() for name in [*self.terms, "total"]}
        self.samples = []

    def add(self, scores: Any, prompts: Sequence[Any] | None, completions: Sequence[Any]) -> None:
        """Record one batch of :class:`~rewardkit.CompositeScores`."""
        from ..reward import as_text

        with self._lock:
            for name in self.terms:
                acc = self._acc[name]
                raw = scores.raw[name]
                acc.add(scores.shaped[name])
                # errors and timeouts are counted as such, not also as "not applicable"
                acc.none -= sum(1 for v, st in zip(scores.shaped[name], raw.statuses)
                                if v is None and st.value in ("error", "timeout"))
                acc.error += raw.errors
                acc.timeout += raw.timeouts
            self._acc["total"].add(scores.total)
            for i in range(min(self.keep_samples - len(self.samples), len(completions))):
                self.samples.append({
                    "prompt": as_text(prompts[i]) if prompts is not None else "",
                    "completion": as_text(completions[i]),
                    "rewards": {n: scores.shaped[n][i] for n in self.terms},
                    "total": scores.total[i],
                })

    def wrap(self, composite: Any) -> Any:
        """Make ``composite.score`` record every batch it scores (the TRL adapter calls it once per batch)."""
        score = composite.score

        def recorded_score(completions: Any, *, prompts: Any = None, **columns: Any) -> Any:
            result = score(completions, prompts=prompts, **columns)
            self.add(result, prompts, completions)
            return result

        composite.score = recorded_score
        return composite

    def flush(self) -> dict[str, dict[str, Any]]:
        """Per-term summaries since the last flush, summed over processes when distributed; then reset."""
        with self._lock:
            names = list(self._acc)
            vectors = [self._acc[n].vector() for n in names]
            self.reset()
        vectors = _all_reduce(vectors)
        return {n: _Acc.from_vector(v).summary() for n, v in zip(names, vectors)}


def _all_reduce(vectors: list[list[float]]) -> list[list[float]]:
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return vectors
    import torch

    t = torch.tensor(vectors, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return t.cpu().tolist()


# -- the metrics log --------------------------------------------------------------------------------

def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if hasattr(v, "item"):
        return _jsonable(v.item())
    return str(v)


def truncate_after(path: Path, step: int) -> int:
    """Drop lines of a JSONL log whose ``step`` is after ``step`` (a resumed run logs them again)."""
    if not path.is_file():
        return 0
    kept, dropped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            s = json.loads(line).get("step")
        except ValueError:  # a line cut short when the process was killed
            dropped += 1
            continue
        if isinstance(s, int) and s > step:
            dropped += 1
        else:
            kept.append(line)
    path.write_text("".join(k + "\n" for k in kept), encoding="utf-8")
    return dropped


class MetricsLogCallback(TrainerCallback):
    """Write ``metrics.jsonl`` (one line per logging step: every term and the total) and ``samples.jsonl``.

    A line: ``{"step", "epoch", "temperature", "terms": {term: {mean, std, n, none, error, timeout}},
    "total": {...}, "trl": {TRL's own logged values}}``. Event lines (``"event": "start"`` with the
    reward signatures, ``"resume"``, ``"end"``) carry no term stats. On resume, lines after the
    checkpoint's step are dropped first, so no step appears twice.
    """

    def __init__(self, out_dir: str | Path, recorder: Recorder, *, start_event: dict[str, Any] | None = None,
                 temperature: TemperatureCallback | None = None) -> None:
        self.out = Path(out_dir)
        self.metrics_path = self.out / "metrics.jsonl"
        self.samples_path = self.out / "samples.jsonl"
        self.recorder = recorder
        self.start_event = start_event or {}
        self.temperature = temperature

    def _write(self, path: Path, record: dict[str, Any]) -> None:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=_jsonable) + "\n")
            fh.flush()

    @staticmethod
    def _is_writer(state: Any) -> bool:
        # RANK too: a launcher's extra processes that the Trainer does not see as distributed must not write
        return bool(state.is_world_process_zero) and int(os.environ.get("RANK", "0")) == 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self._is_writer(state):
            return
        self.out.mkdir(parents=True, exist_ok=True)
        if state.global_step > 0:
            truncate_after(self.metrics_path, state.global_step)
            truncate_after(self.samples_path, state.global_step)
            self._write(self.metrics_path, {"event": "resume", "step": state.global_step, "max_steps": state.max_steps,
                                            **self.start_event})
        else:
            for p in (self.metrics_path, self.samples_path):
                p.unlink(missing_ok=True)
            self._write(self.metrics_path, {"event": "start", "step": 0, "max_steps": state.max_steps, **self.start_event})

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = dict(logs or {})
        if any(k.startswith("eval_") for k in logs):
            return
        samples = list(self.recorder.samples)
        stats = self.recorder.flush()
        if not self._is_writer(state):
            return
        if stats["total"]["n"] + stats["total"]["none"] == 0:
            if "train_runtime" in logs:
                self._write(self.metrics_path, {"event": "end", "step": state.global_step,
                                                "trl": {k: _jsonable(v) for k, v in logs.items()}})
            return
        total = stats.pop("total")
        record = {
            "step": state.global_step,
            "epoch": _jsonable(state.epoch),
            "temperature": self.temperature.current if self.temperature else None,
            "terms": stats,
            "total": total,
            "trl": {k: _jsonable(v) for k, v in logs.items()},
        }
        self._write(self.metrics_path, record)
        for s in samples:
            self._write(self.samples_path, {"step": state.global_step, **s})
