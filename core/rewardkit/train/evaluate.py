"""Before/after evaluation: format rate and accuracy on held-out GSM8K test questions.

Generation is batched (left padding) with transformers, greedy by default. A completion counts
as *formatted* when ``format.tags`` gives it full credit (the exact ``<think>``/``<answer>``
layout), and as *correct* when ``math.equivalence`` (if installed) scores it 1 against the gold
answer; without that plugin the fallback is :func:`last_number_correct`: the last number inside
``<answer>...</answer>`` (or, with no answer block, the last number of the completion) equals
the gold number.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

_NUMBER_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_ANSWER_RE = re.compile(r"<answer>(.*?)</answer>", re.S)


def last_number(text: str) -> float | None:
    """The last number in ``text`` (commas dropped), or None.

    >>> last_number("so 1,200 + 3 = 1,203 apples.")
    1203.0
    """
    found = _NUMBER_RE.findall(text)
    if not found:
        return None
    try:
        return float(found[-1].replace(",", ""))
    except ValueError:
        return None


def last_number_correct(completion: str, gold: str) -> bool:
    """Whether the last number of the ``<answer>`` block (else of the completion) equals ``gold``.

    >>> last_number_correct("<think>6*7</think><answer>42</answer>", "42")
    True
    >>> last_number_correct("the answer is 41", "42")
    False
    """
    m = _ANSWER_RE.findall(completion)
    got = last_number(m[-1] if m else completion)
    want = last_number(gold)
    return got is not None and want is not None and abs(got - want) < 1e-6


@dataclass
class EvalResult:
    """Figures of one evaluation, with the scored samples."""

    model: str
    n: int
    format_rate: float
    accuracy: float
    accuracy_method: str
    format_method: str
    seconds: float
    max_new_tokens: int
    mean_completion_tokens: float
    truncated: int
    samples: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("samples")
        return d

    @classmethod
    def load(cls, path: str | Path) -> EvalResult:
        """Read back what :meth:`write` wrote."""
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))

    def write(self, path: str | Path) -> None:
        """Write the figures and every sample as JSON."""
        Path(path).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")


def score(completions: Sequence[str], prompts: Sequence[str], golds: Sequence[str]) -> tuple[list[bool], list[bool], str, str]:
    """``(formatted, correct, format_method, accuracy_method)`` for each completion."""
    import rewardkit

    from ..errors import UnknownRewardError

    fmt = rewardkit.reward("format.tags")(list(completions), prompts=list(prompts))
    formatted = [v is not None and v >= 1.0 - 1e-9 for v in fmt]
    try:
        math_reward = rewardkit.reward("math.equivalence")
    except UnknownRewardError:
        math_reward = None
    if math_reward is not None:
        values = math_reward(list(completions), prompts=list(prompts), answer=list(golds))
        correct = [v is not None and v >= 1.0 - 1e-9 for v in values]
        method = "math.equivalence == 1"
    else:
        correct = [last_number_correct(c, g) for c, g in zip(completions, golds)]
        method = "last number in <answer> == gold (math.equivalence not installed)"
    return formatted, correct, "format.tags == 1", method


def generate(model: Any, tokenizer: Any, prompts: Sequence[str], *, max_new_tokens: int = 256,
             batch_size: int = 16, temperature: float = 0.0, seed: int = 0,
             progress: Callable[[int, int], None] | None = None) -> tuple[list[str], list[int]]:
    """Complete each prompt (text from :func:`~rewardkit.train.sft.prompt_text`); returns texts and token counts.

    Prompts are tokenized like TRL tokenizes text prompts (with the tokenizer's special tokens).
    """
    import torch

    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    torch.manual_seed(seed)
    texts: list[str] = []
    lengths: list[int] = []
    # longest first: batches of similar length waste less padding
    order = sorted(range(len(prompts)), key=lambda i: -len(prompts[i]))
    done: dict[int, tuple[str, int]] = {}
    model.eval()
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        enc = tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True)
        enc = {k: v.to(model.device) for k, v in enc.items()}
        kwargs: dict[str, Any] = {"max_new_tokens": max_new_tokens, "pad_token_id": tokenizer.pad_token_id}
        if temperature > 0:
            kwargs.update(do_sample=True, temperature=temperature, top_p=1.0, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        with torch.inference_mode():
            out = model.generate(**enc, **kwargs)
        new = out[:, enc["input_ids"].shape[1]:]
        eos = tokenizer.eos_token_id
        for j, i in enumerate(idx):
            toks = new[j].tolist()
            n = next((k + 1 for k, t in enumerate(toks) if t in (eos, tokenizer.pad_token_id)), len(toks))
            done[i] = (tokenizer.decode(toks[:n], skip_special_tokens=True), n)
        if progress is not None:
            progress(min(b + batch_size, len(order)), len(order))
    for i in range(len(prompts)):
        texts.append(done[i][0])
        lengths.append(done[i][1])
    return texts, lengths


def evaluate(model: Any, task: Mapping[str, Any], *, n: int = 100, split: str = "test", offset: int = 0,
             tokenizer: Any = None, max_new_tokens: int = 256, batch_size: int = 16, temperature: float = 0.0,
             seed: int = 0, log: Callable[[str], None] | None = print) -> EvalResult:
    """Generate on ``n`` GSM8K ``split`` questions with ``task``'s prompt and score format and accuracy.

    ``model`` is a name or path (resolved with :func:`rewardkit.models.resolve_model`) or a loaded
    model (then pass ``tokenizer``). ``task`` is a ``[task]`` table: system prompt, user template,
    assistant prefix.
    """
    from ..tasks import gsm8k
    from .sft import prompt_text

    start = time.perf_counter()
    label = model if isinstance(model, (str, Path)) else type(model).__name__
    if isinstance(model, (str, Path)):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from ..models import resolve_model

        path = resolve_model(str(model))
        tokenizer = tokenizer or AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path)
    if tokenizer is None:
        raise ValueError("evaluate: pass the tokenizer along with a loaded model")
    rows = gsm8k.load(split, limit=offset + n)[offset:]
    rows = [{"question": r["question"], "answer": gsm8k.gold_answer(r["answer"]), "solution": r["answer"]} for r in rows]
    prompts = [prompt_text(tokenizer, task, r) for r in rows]
    golds = [str(r["answer"]) for r in rows]

    from ..progress import Progress

    bar = Progress(len(prompts), "eval", enabled=False, unit="completions")

    def progress(done: int, total: int) -> None:  # one plain line per batch: done, rate, ETA
        bar.advance(done - bar.done)
        if log:
            log(bar.line())

    completions, lengths = generate(model, tokenizer, prompts, max_new_tokens=max_new_tokens,
                                    batch_size=batch_size, temperature=temperature, seed=seed, progress=progress)
    formatted, correct, fmt_method, acc_method = score(completions, prompts, golds)
    samples = [
        {"question": r["question"], "gold": g, "completion": c, "tokens": k, "formatted": f, "correct": ok}
        for r, g, c, k, f, ok in zip(rows, golds, completions, lengths, formatted, correct)
    ]
    count = max(1, len(rows))
    return EvalResult(
        model=str(label), n=len(rows), format_rate=sum(formatted) / count, accuracy=sum(correct) / count,
        accuracy_method=acc_method, format_method=fmt_method, seconds=round(time.perf_counter() - start, 1),
        max_new_tokens=max_new_tokens, mean_completion_tokens=sum(lengths) / count,
        truncated=sum(1 for k in lengths if k >= max_new_tokens), samples=samples,
    )
