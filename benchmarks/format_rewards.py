"""Format rewards on hostile and ordinary input, side by side with the regexes people copy.

Rows: ordinary completions (the 5,276 stored GSM8K completions wrapped in <think>/<answer>),
a 1 MB completion, 16,000 repeated tags, 16,000 look-alike tags, a wall of '<' inside the
think block, and half a megabyte of unclosed lines. Columns: milliseconds per completion for

- ``format.tags`` and ``format.strict`` (rewardkit, through the host);
- TRL's ``think_format_reward`` (``^<think>(?!.*<think>)(.*?)</think>.*$``, DOTALL);
- the open-r1 style ``^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$`` (DOTALL|MULTILINE).

    python benchmarks/format_rewards.py
"""

from __future__ import annotations

import re
import sys
import time
from typing import Callable

OPEN_R1 = re.compile(r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE)


def cases() -> dict[str, list[str]]:
    from rewardkit.tasks import gsm8k

    rows = gsm8k.load("completions")
    ordinary = [f"<think>\n{r['completion']}\n</think>\n<answer>\n{r['answer']}\n</answer>" for r in rows]
    return {
        "GSM8K (5,276)": ordinary,
        "1 MB think block": ["<think>\n" + "x" * 1_000_000 + "\n</think>\n<answer>\n4\n</answer>"],
        "16,000 tags": ["<think>\n</think>\n" * 8_000],
        "16,000 look-alikes": ["<ANSWER>" * 16_000 + "<think>a</think><answer>4</answer>"],
        "1 MB of '<' in block": ["<think>\n" + "<" * 1_000_000 + "\n</think>\n<answer>\n4\n</answer>"],
        "60k lines, no close": ["<think>\n" + "a\n" * 60_000 + "<answer>\n" * 3],
    }


def timed(fn: Callable[[list[str]], list], texts: list[str]) -> tuple[float, list]:
    best, out = float("inf"), []
    for _ in range(3):
        t = time.perf_counter()
        out = fn(texts)
        best = min(best, time.perf_counter() - t)
    return best * 1000 / len(texts), out


def main() -> int:
    import rewardkit

    tags = rewardkit.reward("format.tags")
    strict = rewardkit.reward("format.strict")
    try:
        from trl.rewards import think_format_reward
    except ImportError:  # pragma: no cover - TRL is installed with rewardkit's training extra
        think_format_reward = None

    runners: dict[str, Callable[[list[str]], list]] = {
        "format.tags": lambda t: tags(t),
        "format.strict": lambda t: strict(t),
        "open-r1 regex": lambda t: [1.0 if OPEN_R1.match(c) else 0.0 for c in t],
    }
    if think_format_reward is not None:
        runners["TRL think_format"] = lambda t: think_format_reward([[{"content": c}] for c in t])
    print(f"{'input':24s}" + "".join(f"{k:>18s}" for k in runners) + "   (ms per completion, best of 3; mean score)")
    for label, texts in cases().items():
        cells = []
        for fn in runners.values():
            ms, out = timed(fn, texts)
            mean = sum(v for v in out if v is not None) / len(out)
            cells.append(f"{ms:10.3f} ({mean:.2f})")
        print(f"{label:24s}" + "".join(f"{c:>18s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
