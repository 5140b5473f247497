"""Write ``math_prose_answers.jsonl``: a labelled answer-judging set of answers written in prose.

Built from the golds of the first ``QUESTIONS`` GSM8K test questions (MIT licence, shipped as
``core/rewardkit/data/gsm8k/test.jsonl``): for each gold number N, answers in the shapes people
and models write, correct and wrong, each with its label and its ``kind``:

- correct: ``The answer is N.``, a sentence after the marker (``The answer is Josh's profit was
  $N.``), ``x equals N``, ``N`` with a unit word or a glued unit (``N g``), trailing ``!``, a prose
  ending without a marker, ``\\boxed{N}``, ``$N$``, a bare LaTeX ending after a math span
  (``\\frac{2N}{2}``), PRM800K's ``# Answer`` heading, golds with units answered in another
  spelling of the same unit (``N km`` / ``N kilometers``);
- wrong: negations (``The answer is definitely not N.``, ``It is certainly not N, though.``,
  ``The answer cannot be N.``), a different number in the same shapes, bare LaTeX endings that hold
  N's digits but another value (``\\sqrt{N}``, ``\\frac{1}{N}``), a unit or word that disagrees
  with the gold's (``N miles`` for ``N km``, ``N oranges`` for ``N apples``, am for pm), an empty
  answer slot (``Step N: The answer is  .``), a corrected answer that ends wrong, bounds and exclusions
  (``at least N``, ``anything but N``, ``N or fewer``), a contrast naming N as what it is not;
- also correct: contrasts and reasons after the answer (``N, not M``, ``N because ...``).

    python benchmarks/data/make_math_prose_answers.py   # rewrites benchmarks/data/math_prose_answers.jsonl

The set is deterministic (no randomness beyond a fixed seed).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent / "core" / "rewardkit" / "data" / "gsm8k" / "test.jsonl"
OUT = HERE / "math_prose_answers.jsonl"
QUESTIONS = 40
SEED = 32

NAMES = ["Josh", "Janet", "Maria", "Tom", "Aisha", "Ken"]
NOUNS = ["profit", "total", "savings", "score", "cost", "number of eggs"]
UNIT_WORDS = ["dollars", "apples", "cookies", "pages", "marbles", "minutes", "eggs", "stickers"]
GLUED = ["g", "kg", "km", "cm", "GB", "ml"]
# (gold unit, a spelling of the same unit, a different unit)
UNIT_PAIRS = [("km", "kilometers", "miles"), ("kg", "kilograms", "g"), ("apples", "apples", "oranges"),
              ("hours", "hrs", "minutes"), ("GB", "gigabytes", "MB"), ("cm", "centimeters", "mm")]


def _gold(row: dict) -> int:
    return int(row["answer"].rsplit("####", 1)[1].strip().replace(",", ""))


def _money(n: int) -> str:
    return f"${n:,}"


def _correct(n: int, rnd: random.Random) -> list[tuple[str, str]]:
    name, noun, word, glued = rnd.choice(NAMES), rnd.choice(NOUNS), rnd.choice(UNIT_WORDS), rnd.choice(GLUED)
    return [
        ("plain", f"The answer is {n}."),
        ("sentence", f"The answer is {name}'s {noun} was {_money(n) if noun != 'number of eggs' else n}."),
        ("equals", f"The answer is x equals {n}."),
        ("unit_word", f"The answer is {n} {word}."),
        ("exclaim", f"The answer is {n} {word}!"),
        ("exclaim", f"The answer is {n}!"),
        ("glued_unit", f"The answer is {n}{glued}."),
        ("prose_end", f"Adding everything up, {name} ends with {n} {word} in total."),
        ("boxed", f"First we add the parts. So the answer is $\\boxed{{{n}}}$."),
        ("latex", f"We get $x = {n}$."),
        ("bare_latex", f"Let $a = 2$. So the value is \\frac{{{2 * n}}}{{2}}"),
        ("prm800k", f"So it is {n}.\n\n# Answer\n\n{n}"),
        ("hashes", f"{name} has {n} now.\n#### {n}"),
    ]


def _wrong(n: int, rnd: random.Random) -> list[tuple[str, str]]:
    name, noun, word = rnd.choice(NAMES), rnd.choice(NOUNS), rnd.choice(UNIT_WORDS)
    m = n + rnd.choice([1, 2, 10, -1]) if n > 2 else n + 3
    return [
        ("negation", f"The answer is definitely not {n}."),
        ("negation", f"I cannot solve this. It is certainly not {n}, though."),
        ("negation", f"The answer cannot be {n}."),
        ("negation", f"It is never {n}; I am not sure what it is."),
        ("plain", f"The answer is {m}."),
        ("sentence", f"The answer is {name}'s {noun} was {_money(m) if noun != 'number of eggs' else m}."),
        ("unit_word", f"The answer is {m} {word}."),
        ("prose_end", f"Adding everything up, {name} ends with {m} {word} in total."),
        ("bare_latex", f"Let $a = 1$. So the value is \\sqrt{{{n}}}"),
        ("prm800k", f"So it is {m}.\n\n# Answer\n\n\\frac{{1}}{{{n}}}"),
        ("empty_slot", f"Step {n}: The answer is  ."),
        ("corrected", f"At first I thought {n}, but the answer is {m}."),
    ]


def _varied(n: int, rnd: random.Random) -> list[tuple[str, str, bool]]:
    """Further everyday shapes, correct and wrong (not modelled on the issue's cases)."""
    name, word = rnd.choice(NAMES), rnd.choice(UNIT_WORDS)
    m = n + rnd.choice([1, 3, -2]) if n > 3 else n + 5
    return [
        ("varied", f"Therefore, the total is {_money(n)}.", True),
        ("varied", f"**Answer:** {n} {word}", True),
        ("varied", f"{name} needs {n} more {word} to reach the goal.", True),
        ("varied", f"So, the answer is **{n}**.", True),
        ("varied", f"The final answer is {n}. I hope it is correct.", True),
        ("varied", f"In total there are {n} {word}, so the answer is {n} {word}.", True),
        ("varied", f"Answer: {n}.00", True),
        ("varied", rf"\[ \boxed{{{n}}} \]", True),
        ("varied", f"The answer is {n} because that is what is left.", True),
        ("varied", f"After giving some away, {name} will have {n} left over.", True),
        ("varied", f"The answer is {n} or {m}.", False),
        ("varied", f"The answer is {n / 10:g}.", False),
        ("varied", f"The answer is -{n}.", False),
        ("varied", f"The answer is {n}0.", False),
        ("varied", f"It is not {n} but {m}.", False),
        ("varied", f"The answer is {n} thousand.", False),
        ("varied", f"There were {n} {word} at first, so {name} sells {m}.", False),
        ("varied", rf"So the answer is $\sqrt{{{n}}}$.", False),
        ("varied", f"The answer is {n}^2.", False),
        ("varied", f"We find x = {n}. But the answer is unclear.", False),
    ]


def _bounds(n: int, rnd: random.Random) -> list[tuple[str, str, bool]]:
    """Bounds and exclusions (wrong: they name no value) and contrasts and reasons (right)."""
    word = rnd.choice(UNIT_WORDS)
    m = n + rnd.choice([1, 2, 5])
    return [
        ("bounds", f"The answer is at least {n}.", False),
        ("bounds", f"The answer is anything but {n}.", False),
        ("bounds", f"The answer is {n} or fewer {word}.", False),
        ("bounds", f"The answer is all numbers except {n}.", False),
        ("bounds", f"The answer is under {n}.", False),
        ("contrast", f"The answer is {n}, not {m}.", True),
        ("contrast", f"It's {n} {word}, not {m}.", True),
        ("contrast", f"It's {m}, not {n}.", False),
        ("contrast", f"The answer is {n} because {m} - {m - n} = {n}.", True),
        ("contrast", f"The answer is {n} {word} around the table after {m} minutes.", True),
    ]


def _units(n: int, rnd: random.Random) -> list[tuple[str, str, str, bool]]:
    unit, same, other = rnd.choice(UNIT_PAIRS)
    return [
        ("unit_gold", f"{n} {unit}", f"The answer is {n} {same}.", True),
        ("unit_gold", f"{n} {unit}", f"The answer is {n}.", True),
        ("unit_gold", f"{n} {unit}", f"The answer is {n} {other}.", False),
    ]


def _times(rnd: random.Random) -> list[dict]:
    out = []
    for hour in range(1, 13):
        minute = rnd.choice(["00", "15", "30", "45"])
        gold = f"\\text{{{hour}:{minute} p.m.}}" if hour % 2 else f"{hour}:{minute} pm"
        out.append({"kind": "time", "gold": gold, "pred": f"The answer is {hour}:{minute} p.m.", "label": True})
        out.append({"kind": "time", "gold": gold, "pred": f"The answer is {hour}:{minute} am.", "label": False})
    return out


def build() -> list[dict]:
    rnd = random.Random(SEED)
    rows = [json.loads(line) for line in SOURCE.read_text(encoding="utf-8").splitlines()[:QUESTIONS]]
    items: list[dict] = []
    for i, row in enumerate(rows):
        n = _gold(row)
        gold = str(n)
        items += [{"kind": k, "gold": gold, "pred": p, "label": True, "gsm8k_test": i} for k, p in _correct(n, rnd)]
        items += [{"kind": k, "gold": gold, "pred": p, "label": False, "gsm8k_test": i} for k, p in _wrong(n, rnd)]
        items += [{"kind": k, "gold": g, "pred": p, "label": y, "gsm8k_test": i} for k, g, p, y in _units(n, rnd)]
        items += [{"kind": k, "gold": gold, "pred": p, "label": y, "gsm8k_test": i} for k, p, y in _varied(n, rnd)]
        items += [{"kind": k, "gold": gold, "pred": p, "label": y, "gsm8k_test": i} for k, p, y in _bounds(n, rnd)]
    return items + _times(rnd)


def main() -> int:
    items = build()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
    print(f"wrote {len(items)} items ({sum(r['label'] for r in items)} correct) to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
