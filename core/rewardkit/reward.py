"""A bound reward: a registered reward with its parameters, scored through the one host path."""

from __future__ import annotations

import atexit
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import MissingColumnError, ParameterError
from .isolation import check_timeout
from .outcomes import Reason, Scores, Status, check_batch_length, check_value
from .registry import registry
from .spec import DEFER, RewardSpec
from .trajectory import TRAJECTORY, answer_text, as_trajectory, is_trajectory
from .usage import collecting
from .utils import completion_text


def as_text(item: Any, where: str = "completion") -> str:
    """Deprecated alias of :func:`rewardkit.utils.completion_text` (kept for existing callers)."""
    return completion_text(item, where=where)


#: Pool result kinds -> reason codes (see :class:`rewardkit.isolation.Result`).
_POOL_REASONS = {"raised": Reason.RAISED, "crashed": Reason.CRASHED, "type": Reason.TYPE, "timeout": Reason.TIMEOUT}


class Reward:
    """A reward bound to its parameters.

    Call it as ``r(completions, prompts=..., **columns)`` for a list of floats (``None`` for
    not applicable, errors and timeouts), or use :meth:`score` for the full :class:`Scores`.
    Errors and timeouts are counted in :attr:`totals`.
    """

    def __init__(
        self,
        spec: RewardSpec,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        columns: Mapping[str, str] | None = None,
    ):
        self.spec = spec
        self.params = spec.resolve_params(dict(params or {}))
        self.column_map = _check_column_map(spec, columns)
        self.timeout = spec.timeout
        if timeout is not None:
            try:
                self.timeout = check_timeout(timeout)
            except ValueError as exc:
                raise ParameterError(spec.name, "timeout", str(exc).removeprefix("timeout ")) from None
        self.signature = spec.signature(self.params)
        #: TRL logs a reward function's scores as ``rewards/<__name__>/mean``: the reward's name, so two
        #: rewards never collide as ``rewards/Reward/...``; set it to tell two bindings of one reward apart.
        self.__name__ = spec.name
        self.totals: Counter[str] = Counter()
        self._totals_lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    def __repr__(self) -> str:
        return f"<Reward {self.signature}>"

    def __call__(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None, **columns: Any) -> list[float | None]:
        return self.score(completions, prompts=prompts, **columns).values

    def score(self, completions: Sequence[Any], *, prompts: Sequence[Any] | None = None, **columns: Any) -> Scores:
        """Score a batch; each item ends as a value, None, an error or a timeout."""
        texts, prompt_texts, cols = self._inputs(completions, prompts, columns)
        n = len(texts)
        start = time.perf_counter()
        values: list[float | None] = [None] * n
        statuses: list[Status] = [Status.NONE] * n
        messages: dict[int, str] = {}
        reasons: dict[int, Reason] = {}
        item_seconds: list[float] = []

        def put(i: int, raw: Any) -> None:
            out = check_value(self.name, self.spec.lo, self.spec.hi, raw)
            values[i], statuses[i] = out.value, out.status
            if out.message and out.reason:
                messages[i], reasons[i] = out.message, out.reason

        def fail(i: int, reason: Reason, message: str) -> None:
            status = Status.TIMEOUT if reason is Reason.TIMEOUT else Status.ERROR
            values[i], statuses[i], messages[i], reasons[i] = None, status, message, reason

        with collecting() as usage:
            if n and self.spec.cost == "cpu":
                item_seconds = self._score_cpu(texts, prompt_texts, cols, put, fail)
            elif n and self.spec.cost == "model":
                self._score_model(texts, prompt_texts, cols, put, fail)
            elif n:
                self._score_inline(list(range(n)), texts, prompt_texts, cols, self.spec.fn, put, fail)
        seconds = time.perf_counter() - start
        if not item_seconds and n:
            item_seconds = [seconds / n] * n
        result = Scores(self.name, self.signature, values, statuses, messages, seconds, item_seconds, reasons,
                        dict(usage))  # a copy: a model call left running past its deadline may still report
        with self._totals_lock:
            self.totals["items"] += n
            for s in statuses:
                self.totals[s.value] += 1
        return result

    # -- inputs -------------------------------------------------------------------------
    def _inputs(self, completions: Sequence[Any], prompts: Sequence[Any] | None, columns: Mapping[str, Any]):
        if isinstance(completions, str):
            raise TypeError(f"reward {self.name!r}: completions must be a list of strings, not a single string")
        texts = [answer_text(c, where=f"completion {i}") for i, c in enumerate(completions)]
        n = len(texts)
        if prompts is None:
            prompt_texts = [""] * n
        else:
            if isinstance(prompts, str):
                raise TypeError(f"reward {self.name!r}: prompts must be a list, not a single string")
            prompt_texts = [completion_text(p, where=f"prompt {i}") for i, p in enumerate(prompts)]
            if len(prompt_texts) != n:
                raise ValueError(f"reward {self.name!r}: {len(prompt_texts)} prompts for {n} completions")
        cols: dict[str, list[Any]] = {}
        for col in self.spec.columns:
            if col == TRAJECTORY:
                cols[col] = _trajectories(self.name, completions, columns.get(self.column_map.get(col, col)), n)
                continue
            source = self.column_map.get(col, col)
            if source not in columns or columns[source] is None:
                raise MissingColumnError(self.name, source, [k for k, v in columns.items() if v is not None], col)
            value = _column_list(self.name, source, columns[source])
            if len(value) != n:
                raise ValueError(f"reward {self.name!r}: column {source!r} has {len(value)} rows for {n} completions")
            cols[col] = value
        return texts, prompt_texts, cols

    # -- execution ------------------------------------------------------------------------
    def _call(self, fn: Any, idx: list[int], texts: list[str], prompts: list[str], cols: dict[str, list[Any]]) -> Any:
        return fn(
            completions=[texts[i] for i in idx],
            prompts=[prompts[i] for i in idx],
            **{k: [v[i] for i in idx] for k, v in cols.items()},
            **self.params,
        )

    def _score_inline(self, idx, texts, prompts, cols, fn, put, fail, allow_defer: bool = False,
                      deadline: float | None = None) -> list[int]:
        """Run ``fn`` on the items ``idx`` in this process; on a raise, retry item by item (until
        ``deadline``, a ``time.monotonic()`` instant, when one is given).

        Returns the indices the function deferred (only when ``allow_defer``).
        """
        deferred: list[int] = []
        if deadline is not None and time.monotonic() > deadline:
            return deferred  # the caller has timed these items out
        try:
            raw = self._call(fn, idx, texts, prompts, cols)
        except Exception as exc:  # noqa: BLE001 - isolate the failing rows below
            if len(idx) == 1:
                fail(idx[0], Reason.RAISED, f"reward {self.name!r} raised {type(exc).__name__}: {_text(exc)}"[:500])
                return deferred
            for i in idx:
                deferred += self._score_inline([i], texts, prompts, cols, fn, put, fail, allow_defer, deadline)
            return deferred
        items, message = check_batch_length(self.name, raw, len(idx))
        if items is None:
            for i in idx:
                fail(i, Reason.LENGTH, message or "bad batch")
            return deferred
        for i, value in zip(idx, items):
            if allow_defer and value is DEFER:
                deferred.append(i)
            else:
                put(i, value)
        return deferred

    def _score_model(self, texts, prompts, cols, put, fail) -> None:
        """Score a ``model`` reward in a thread under the batch's deadline, ``timeout`` seconds per item: a
        model or server that never answers holds the batch that long, then its unscored items time out.
        The thread is left to finish on its own (a thread cannot be stopped); nothing it does after the
        deadline reaches this batch's outcome, and it re-scores no more items one by one."""
        n = len(texts)
        limit = self.timeout * n
        lock, scored, open_ = threading.Lock(), set(), [True]

        def keep(record: Any) -> Any:
            def call(i: int, *args: Any) -> None:
                with lock:
                    if open_[0]:
                        record(i, *args)
                        scored.add(i)
            return call

        deadline = time.monotonic() + limit
        finished = _run_in_thread(lambda: self._score_inline(list(range(n)), texts, prompts, cols, self.spec.fn,
                                                             keep(put), keep(fail), deadline=deadline), limit)
        with lock:
            open_[0] = False
            for i in sorted(set(range(n)) - scored):
                if finished:
                    fail(i, Reason.CRASHED, f"reward {self.name!r} ended without scoring this item")
                else:
                    fail(i, Reason.TIMEOUT, f"reward {self.name!r} gave no result within its deadline "
                                            f"({self.timeout:g}s per item, {limit:g}s for this batch of {n})")

    def _score_cpu(self, texts, prompts, cols, put, fail) -> list[float]:
        """Score through the fast path and the worker pool; return per-item seconds."""
        from .isolation import get_pool

        n = len(texts)
        todo = list(range(n))
        start = time.perf_counter()
        if self.spec.fast_path is not None:
            todo = self._score_inline(todo, texts, prompts, cols, self.spec.fast_path, put, fail, allow_defer=True)
        inline = (time.perf_counter() - start) / n
        item_seconds = [inline] * n
        if not todo:
            return item_seconds
        items = [(texts[i], prompts[i], {k: v[i] for k, v in cols.items()}) for i in todo]
        took: list[float] = []
        results = get_pool().map(self.spec.fn, self.params, items, self.timeout, key=self.signature, seconds=took)
        for i, t in zip(todo, took):
            item_seconds[i] += t
        for i, (kind, payload) in zip(todo, results):
            if kind != "ok":
                fail(i, _POOL_REASONS.get(kind, Reason.CRASHED), f"reward {self.name!r}: {payload}")
                continue
            batch, message = check_batch_length(self.name, payload, 1)
            if batch is None:
                fail(i, Reason.LENGTH, message or "bad batch")
            else:
                put(i, batch[0])
        return item_seconds

    @property
    def columns(self) -> list[str]:
        """The data columns this reward reads, after its column mapping."""
        return [self.column_map.get(c, c) for c in self.spec.columns]


def _trajectories(reward: str, completions: Sequence[Any], given: Any, n: int) -> list[list[dict[str, Any]]]:
    """The ``trajectory`` column: each completion as messages (a trajectory completion always wins; a
    ``trajectory`` column the caller gives is read only for plain-text completions, e.g. by bench)."""
    rows = _column_list(reward, TRAJECTORY, given) if given is not None else [None] * n
    if len(rows) != n:
        raise ValueError(f"reward {reward!r}: column {TRAJECTORY!r} has {len(rows)} rows for {n} completions")
    out = []
    for i, (c, row) in enumerate(zip(completions, rows)):
        source = row if row is not None and not is_trajectory(c) else c
        out.append(as_trajectory(source, f"completion {i}"))
    return out


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - an exception whose __str__ raises
        return "<unprintable>"


def _column_list(reward: str, name: str, value: Any) -> list[Any]:
    """A column's rows as a list; a string or mapping is refused (it would split into characters/keys)."""
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ValueError(
            f"reward {reward!r}: column {name!r} must be a list with one value per completion, "
            f"got {type(value).__name__} {value!r:.60}"
        )
    return list(value)


def _check_column_map(spec: RewardSpec, columns: Mapping[str, str] | None) -> dict[str, str]:
    if not columns:
        return {}
    if not isinstance(columns, Mapping):
        raise ParameterError(spec.name, "columns", f"must map declared column -> data column, got {columns!r}")
    out = {}
    for declared, source in columns.items():
        if declared not in spec.columns:
            from .suggest import close_matches

            raise ParameterError(
                spec.name, "columns",
                f"columns maps {declared!r}, which the reward does not read"
                f"{close_matches(declared, spec.columns)} (it reads: {', '.join(spec.columns) or 'no columns'})",
            )
        if not isinstance(source, str) or not source:
            raise ParameterError(spec.name, "columns", f"columns[{declared!r}] must be a column name, got {source!r}")
        out[declared] = source
    return out


#: Model calls left running past their deadline. At exit they get up to :data:`EXIT_GRACE` seconds in
#: all to end: a thread torn down inside native code (a torch forward pass) aborts the process.
_left: set[threading.Thread] = set()
_left_lock = threading.Lock()
EXIT_GRACE = 30.0


def _run_in_thread(fn: Any, seconds: float) -> bool:
    """Run ``fn`` in a daemon thread (in a copy of this context: the usage channel); whether it ended in time."""
    import contextvars

    ctx = contextvars.copy_context()
    done = threading.Event()

    def target() -> None:
        try:
            ctx.run(fn)
        finally:
            done.set()
            with _left_lock:
                _left.discard(threading.current_thread())

    thread = threading.Thread(target=target, name="rewardkit-model-reward", daemon=True)
    thread.start()
    if done.wait(seconds):
        return True
    with _left_lock:
        if thread.is_alive():
            _left.add(thread)
    return False


@atexit.register
def _join_left() -> None:
    end = time.monotonic() + EXIT_GRACE
    with _left_lock:
        threads = list(_left)
    for thread in threads:
        thread.join(max(0.0, end - time.monotonic()))


def reward(name: str, *, timeout: float | None = None, columns: Mapping[str, str] | None = None, **params: Any) -> Reward:
    """Build the registered reward ``name`` with ``params`` (validated now, not at first call).

    ``columns`` maps a column the reward reads to the data column that holds it, e.g.
    ``reward("text.bleu", columns={"reference": "solution"})``. ``name`` may carry parameters
    the way ``-r`` and :func:`rewardkit.remote` spell them, ``reward("text.rouge:variant=rougeL")``
    (``timeout`` and ``columns`` included); a parameter given both ways is a :class:`ParameterError`.
    """
    if ":" in name:
        from .options import host_options
        from .rewardspec_arg import parse_reward_arg

        name, spelled = parse_reward_arg(name)
        twice = sorted(set(spelled) & set(params))
        if twice:
            raise ParameterError(name, twice[0], f"given twice (in the name {name}:... and as a keyword); set it once")
        spelled, options = host_options(spelled, timeout=timeout, columns=columns, where=name)
        timeout, columns = options.get("timeout"), options.get("columns")
        params = {**spelled, **params}
    return Reward(registry.get(name), params, timeout=timeout, columns=columns)


def rewards() -> dict[str, dict[str, Any]]:
    """Every registered reward's metadata, by name."""
    return {name: spec.describe() for name, spec in sorted(registry.specs().items())}
