"""Trainer callbacks: the temperature schedule, the metrics JSONL log and sample completions."""

from __future__ import annotations

import json
import math
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from ..outcomes import Tally
from ..utils import completion_text


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
        free = code.co_freevars if code is not None else ()
        if fn is not None and code is not None and fn.__closure__ and "temperature" in free and "original_forward" in free:
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

    def attach(self, trainer: Any) -> TemperatureCallback:
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

def _prompt_key(prompt: Any) -> str:
    return completion_text(prompt, where="prompt") if prompt is not None else ""


def zero_variance_groups(prompts: Sequence[Any] | None, total: Sequence[float | None]) -> tuple[int, int]:
    """``(groups, zero-variance groups)``: completions of the same prompt form a group; a group
    with two or more scored completions that all got the same total gives no GRPO signal."""
    groups: dict[str, list[float]] = {}
    for i, v in enumerate(total):
        if v is not None:
            groups.setdefault(_prompt_key(prompts[i]) if prompts is not None else str(i), []).append(v)
    scored = [g for g in groups.values() if len(g) >= 2]
    return len(scored), sum(1 for g in scored if max(g) - min(g) <= 1e-9)


@dataclass
class StepStats:
    """What one logging step saw: a tally per term, the total and each audit term, groups and length."""

    terms: dict[str, Tally]
    total: Tally
    audit: dict[str, Tally]
    groups: int = 0
    zero_std_groups: int = 0
    length_sum: float = 0.0
    completions: int = 0
    #: Each term's reported usage summed (``Scores.usage``: judge calls, seconds, tokens); this process only.
    usage: dict[str, dict[str, float]] = field(default_factory=dict)

    def vector(self) -> list[list[float]]:
        tallies = [*self.terms.values(), self.total, *self.audit.values()]
        extra = [self.groups, self.zero_std_groups, self.length_sum, self.completions]
        return [t.vector() for t in tallies] + [extra + [0.0] * (len(Tally().vector()) - len(extra))]

    def from_vector(self, rows: Sequence[Sequence[float]]) -> StepStats:
        names = [*self.terms, "total", *self.audit]
        tallies = dict(zip(names, (Tally.from_vector(r) for r in rows)))
        g, z, ls, c = rows[len(names)][:4]
        return StepStats({n: tallies[n] for n in self.terms}, tallies["total"], {n: tallies[n] for n in self.audit},
                         int(g), int(z), float(ls), int(c))

    def record(self) -> dict[str, Any]:
        """The per-step part of a ``metrics.jsonl`` line."""
        return {
            "terms": {n: t.summary() for n, t in self.terms.items()},
            "total": self.total.summary(),
            "audit": {n: t.summary() for n, t in self.audit.items()},
            "dropped_fraction": self.total.dropped / self.total.count if self.total.count else 0.0,
            "groups": {"count": self.groups, "zero_std": self.zero_std_groups},
            "length": self.length_sum / self.completions if self.completions else None,
            **({"usage": self.usage} if self.usage else {}),
        }


@dataclass
class Recorder:
    """Accumulates every term's shaped scores, the total and the audit terms between two logging steps.

    ``audit`` is a composite of terms scored on every batch and logged, never trained on. Besides a
    few ``samples`` per step it keeps up to ``keep_rows`` rows (failed ones first) for alarm reports.
    """

    terms: list[str]
    keep_samples: int = 4
    audit: Any = None
    keep_rows: int = 32
    samples: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    _stats: StepStats | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.reset()

    @property
    def audit_names(self) -> list[str]:
        return list(self.audit.names) if self.audit is not None else []

    def reset(self) -> None:
        self._stats = StepStats({n: Tally() for n in self.terms}, Tally(), {n: Tally() for n in self.audit_names})
        self.samples = []
        self.rows = []

    def add(self, scores: Any, prompts: Sequence[Any] | None, completions: Sequence[Any],
            columns: dict[str, Any] | None = None) -> None:
        """Record one batch of :class:`~rewardkit.CompositeScores` (and score the audit terms on it)."""
        audit = self.audit.score(completions, prompts=prompts, **(columns or {})) if self.audit is not None else None
        stats = scores.stats()
        texts = [completion_text(c) for c in completions]
        groups, zero = zero_variance_groups(prompts, scores.total)
        with self._lock:
            st = self._stats
            assert st is not None
            for name in self.terms:
                st.terms[name] += stats[name]
            st.total += stats["total"]
            if audit is not None:
                a_stats = audit.stats()
                for name in self.audit_names:
                    st.audit[name] += a_stats[name]
            st.groups += groups
            st.zero_std_groups += zero
            st.length_sum += sum(len(t) for t in texts)
            for name in self.terms:
                for key, amount in getattr(scores.raw.get(name), "usage", {}).items():
                    st.usage.setdefault(name, {})[key] = st.usage.get(name, {}).get(key, 0.0) + amount
            st.completions += len(texts)
            for i in range(len(texts)):
                row = self._row(scores, audit, prompts, texts, i)
                if len(self.samples) < self.keep_samples:
                    self.samples.append(_sample(row, completions[i], columns, i))
                self._keep(row)

    def _row(self, scores: Any, audit: Any, prompts: Sequence[Any] | None, texts: list[str], i: int) -> dict[str, Any]:
        failed = {n: {"status": scores.statuses[n][i].value, "message": scores.raw[n].messages.get(i)}
                  for n in self.terms if scores.statuses[n][i].value in ("error", "timeout")}
        return {
            "prompt": completion_text(prompts[i], where="prompt") if prompts is not None else "",
            "completion": texts[i],
            "rewards": {n: scores.shaped[n][i] for n in self.terms},
            "total": scores.total[i],
            "dropped": bool(scores.dropped[i]) if scores.dropped else False,
            "failed": failed,
            "audit": {n: audit.shaped[n][i] for n in self.audit_names} if audit is not None else {},
            "length": len(texts[i]),
        }

    def _keep(self, row: dict[str, Any]) -> None:
        if len(self.rows) < self.keep_rows:
            self.rows.append(row)
        elif row["failed"]:  # failed rows displace ordinary ones
            for j, old in enumerate(self.rows):
                if not old["failed"]:
                    self.rows[j] = row
                    break

    def on_batch(self, scores: Any, prompts: Sequence[Any], completions: Sequence[Any],
                 columns: dict[str, Any]) -> None:
        """The TRL adapter's batch hook (see :func:`rewardkit.trl_adapter.to_trl`)."""
        self.add(scores, prompts, completions, columns)

    def wrap(self, composite: Any) -> Any:
        """Make ``composite.score`` record every batch it scores (for callers without the adapter's hook)."""
        score = composite.score

        def recorded_score(completions: Any, *, prompts: Any = None, **columns: Any) -> Any:
            result = score(completions, prompts=prompts, **columns)
            self.add(result, prompts, completions, columns)
            return result

        composite.score = recorded_score
        return composite

    def flush(self) -> StepStats:
        """The step's statistics since the last flush, summed over processes when distributed; then reset."""
        with self._lock:
            st = self._stats
            assert st is not None
            self.reset()
        out = st.from_vector(_all_reduce(st.vector()))
        out.usage = st.usage
        return out


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
    """Write ``metrics.jsonl`` (one line per logging step: every term, the total, the audit terms) and
    ``samples.jsonl``, and run the reward-health alarms on each step (``health``).

    A line: ``{"step", "epoch", "temperature", "terms": {term: {mean, std, n, value, none, error, timeout,
    dropped}}, "total": {...}, "audit": {...}, "dropped_fraction", "groups": {count, zero_std}, "length",
    "usage": {term: {name: sum}} (only when a term reports usage, e.g. judge calls and tokens),
    "trl": {TRL's own logged values}}``. Event lines (``"event": "start"`` with the reward signatures,
    ``"resume"``, ``"alarm"``, ``"end"``) carry no term stats. On resume, lines after the checkpoint's
    step are dropped first, so no step appears twice.
    """

    def __init__(self, out_dir: str | Path, recorder: Recorder, *, start_event: dict[str, Any] | None = None,
                 temperature: TemperatureCallback | None = None, health: Any = None) -> None:
        self.out = Path(out_dir)
        self.metrics_path = self.out / "metrics.jsonl"
        self.samples_path = self.out / "samples.jsonl"
        self.recorder = recorder
        self.start_event = start_event or {}
        self.temperature = temperature
        self.health = health

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
            if self.health is not None:
                self.health.replay(self.metrics_path)
            self._write(self.metrics_path, {"event": "resume", "step": state.global_step, "max_steps": state.max_steps,
                                            **self.start_event})
        else:
            for p in (self.metrics_path, self.samples_path):
                p.unlink(missing_ok=True)
            self._write(self.metrics_path,
                        {"event": "start", "step": 0, "max_steps": state.max_steps, **self.start_event})

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = dict(logs or {})
        if any(k.startswith("eval_") for k in logs):
            return
        samples, rows = list(self.recorder.samples), list(self.recorder.rows)
        stats = self.recorder.flush()
        writer = self._is_writer(state)
        if stats.total.count == 0:
            if "train_runtime" in logs and writer:
                alarms = [a.record() for a in self.health.monitor.fired] if self.health is not None else []
                self._write(self.metrics_path, {"event": "end", "step": state.global_step, "alarms": alarms,
                                                "trl": {k: _jsonable(v) for k, v in logs.items()}})
            return
        record = {
            "step": state.global_step,
            "epoch": _jsonable(state.epoch),
            "temperature": self.temperature.current if self.temperature else None,
            **stats.record(),
            "trl": {k: _jsonable(v) for k, v in logs.items()},
        }
        if writer:
            self._write(self.metrics_path, record)
            for s in samples:
                self._write(self.samples_path, {"step": state.global_step, **s})
        if self.health is not None:  # on every process: all of them must agree to stop
            for alarm in self.health.check(record, rows, control, write=writer):
                if writer:
                    self._write(self.metrics_path, alarm.record())

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.health is not None and self._is_writer(state):
            self.health.summary()


#: Host-filled columns a stored sample does not repeat (the trajectory is the completion itself).
_NOT_STORED = frozenset({"trajectory", "prompt", "prompts", "completion", "completions"})


def _sample(row: dict[str, Any], completion: Any, columns: dict[str, Any] | None, i: int) -> dict[str, Any]:
    """One ``samples.jsonl`` record: a trajectory stays a list of messages, and the row's columns the rewards
    read (``answer``, ``tools``, ...) are kept, so ``rewardkit bench samples.jsonl -r ...`` can re-score it."""
    from ..trajectory import as_trajectory, is_trajectory

    sample = {k: row[k] for k in ("prompt", "completion", "rewards", "total")}
    if is_trajectory(completion):
        sample["completion"] = as_trajectory(completion)
    for key, values in (columns or {}).items():
        if key in _NOT_STORED or not isinstance(values, (list, tuple)) or i >= len(values):
            continue
        try:
            json.dumps(values[i])
        except (TypeError, ValueError):
            continue
        sample.setdefault(key, values[i])
    return sample
