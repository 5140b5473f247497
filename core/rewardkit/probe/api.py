"""``rewardkit probe``: attack rewards with exploit completions and report what they accept.

>>> from rewardkit.probe import probe
>>> result = probe(["math.equivalence"], rows=20)  # doctest: +SKIP
>>> result["rewards"]["math.equivalence"]["families"]["several_answers"]["rate"]  # doctest: +SKIP
0.0
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import RewardkitError
from ..spec import NAME_RE, judged
from ..trajectory import TRAJECTORY
from .families import BUILTIN, TARGETS, Family, ProbeRow

MAX_EXAMPLES = 3
GOLD_COLUMNS = ("answer", "reference")


class ProbeError(RewardkitError):
    """A probe cannot run as asked; the message says what to change."""


# -- families -----------------------------------------------------------------------------------


def families() -> dict[str, Family]:
    """The built-in families and those plugins register through ``rewardkit_register_probes``.

    A plugin whose hook fails, or whose registration is malformed or takes a name already taken,
    contributes nothing and is listed by :func:`family_errors`; the other plugins' families stay.
    """
    return _families()[0]


def family_errors() -> dict[str, str]:
    """Plugins whose probe families were rejected, with the reason."""
    return _families()[1]


def _families() -> tuple[dict[str, Family], dict[str, str]]:
    from ..plugins import collect

    found = {f.name: f for f in BUILTIN}
    errors: dict[str, str] = {}
    for result in collect("rewardkit_register_probes"):
        if result.error is not None:
            errors[result.plugin] = result.error
            continue
        try:
            mine = [_family(result.plugin, *args, **kwargs) for args, kwargs in result.value]
        except (ProbeError, TypeError) as exc:
            errors[result.plugin] = str(exc)
            continue
        taken = next((f for f in mine if f.name in found), None)
        if taken is not None:
            errors[result.plugin] = (f"probe family {taken.name!r} is registered by both "
                                     f"{found[taken.name].plugin!r} and {result.plugin!r}")
            continue
        found.update((f.name, f) for f in mine)
    return found, errors


def _family(plugin: str, name: str, generate: Any, *, description: str = "",
            targets: Sequence[str] = ("answer",)) -> Family:
    """One ``register(name, generate, description=..., targets=...)`` call, checked."""
    if not isinstance(name, str) or not name.replace("_", "").replace(".", "").isalnum():
        raise ProbeError(f"plugin {plugin!r}: probe family name must be letters, digits, '_' or '.', got {name!r}")
    if not callable(generate):
        raise ProbeError(f"plugin {plugin!r}: the generator of probe family {name!r} is not callable")
    bad = [t for t in targets if t not in TARGETS and not NAME_RE.match(str(t))]
    if bad or not targets:
        raise ProbeError(
            f"plugin {plugin!r}: probe family {name!r}: targets must be among {list(TARGETS)} "
            f"or reward names ('plugin.reward'), got {list(targets)}"
        )
    return Family(name, generate, description, tuple(targets), plugin)


# -- rows -----------------------------------------------------------------------------------------


def _wrong(gold: str, rng: random.Random, others: Sequence[str]) -> str:
    try:
        g = int(gold.replace(",", ""))
    except ValueError:
        choices = [o for o in others if o != gold]
        return rng.choice(choices) if choices else gold + "0"
    return str(g + rng.choice((1, 2, 3, 5, 7, 9, 10, 11)))


def load_rows(
    data: str | Path | None = None,
    *,
    rows: int = 50,
    seed: int = 0,
    prompt_col: str | None = None,
    answer_col: str = "answer",
) -> tuple[list[ProbeRow], str]:
    """``rows`` real rows (seeded sample): the shipped GSM8K test split unless ``data`` is given."""
    from ..data import read_rows
    from ..tasks import gsm8k

    path = Path(data) if data is not None else gsm8k.data_path("test")
    table = read_rows(path)
    if not table.rows:
        raise ProbeError(f"{path}: no rows")
    pcol = prompt_col or next((c for c in ("prompt", "question") if c in table.columns), None)
    if pcol is None or pcol not in table.columns:
        raise ProbeError(
            f"{path}: no prompt column (looked for {prompt_col or 'prompt, question'}; "
            f"available: {', '.join(table.columns)}); name it with --prompt-col"
        )
    if answer_col not in table.columns:
        raise ProbeError(
            f"{path}: no gold column {answer_col!r} (available: {', '.join(table.columns)}); name it with --answer-col"
        )
    rng = random.Random(seed)
    picked = sorted(rng.sample(range(len(table.rows)), min(rows, len(table.rows))))
    golds: list[tuple[int, str, str, str]] = []
    for i in picked:
        row = table.rows[i]
        raw = str(row[answer_col])
        solution = "####" in raw or "\nA:" in raw
        gold = gsm8k.gold_answer(raw) if solution else raw.strip()
        if not gold:
            continue
        reasoning = (
            gsm8k.reasoning(raw) if solution else str(row.get("reasoning") or "Let me work it out step by step.")
        )
        golds.append((i, str(row[pcol]), gold, reasoning))
    others = [g for _, _, g, _ in golds]
    out = [ProbeRow(i, prompt, gold, _wrong(gold, rng, others), reasoning) for i, prompt, gold, reasoning in golds]
    return out, str(path)


# -- targets ----------------------------------------------------------------------------------------


@dataclass
class Target:
    """One thing to probe: a reward (or a composite total) and its pass threshold."""

    label: str
    kind: str
    threshold: float
    reward: Any = None
    composite: Any = None

    def columns(self) -> list[str]:
        return list(self.composite.columns if self.composite is not None else self.reward.columns)

    def score(
        self, completions: list[Any], prompts: list[str], cols: Mapping[str, list[Any]]
    ) -> tuple[list, list[str]]:
        """Values and outcome names per completion (text or a trajectory)."""
        mine = {c: cols[c] for c in self.columns() if c in cols}
        if self.composite is not None:
            s = self.composite.score(completions, prompts=prompts, **mine)
            return s.total, [st.value for st in s.total_statuses]
        r = self.reward.score(completions, prompts=prompts, **mine)
        return r.values, [st.value for st in r.statuses]


def targets_for(
    rewards: Sequence[str], config: Any = None, thresholds: Mapping[str, float] | None = None
) -> list[Target]:
    """Targets for reward arguments (``NAME[:k=v,...]``) and a training config's composite and terms."""
    from ..bench.job import default_threshold
    from ..reward import reward
    from ..rewardspec_arg import parse_reward_arg

    thresholds = dict(thresholds or {})
    out: list[Target] = []

    def add(label: str, r: Any) -> None:
        if any(t.label == label for t in out):
            return
        thr = thresholds.get(
            label, thresholds.get(r.name, thresholds.get("*", default_threshold(r.spec.lo, r.spec.hi)))
        )
        out.append(Target(label, r.spec.kind, float(thr), reward=r))

    for arg in rewards:
        name, params = parse_reward_arg(arg)
        add(arg if params else name, reward(name, **params))
    if config is not None:
        from ..bench.api import load_composite

        comp = load_composite(config)
        for t in comp.terms:
            add(t.name, t.reward)
        unit = all(t.shaping == "unit" for t in comp.terms)
        hi = sum(t.weight for t in comp.terms) if unit and comp.nonnegative else 0.0
        out.append(Target("composite", judged(comp.columns), float(thresholds.get("composite", hi / 2)), composite=comp))
    if not out:
        raise ProbeError("name at least one reward to probe, give --config TRAIN.toml, or --all")
    return out


def all_rewards(models: bool = False) -> list[str]:
    """Every registered reward (``--all``): those of cost ``model`` only when ``models``."""
    from ..registry import registry

    return sorted(n for n, s in registry.specs().items() if models or s.cost != "model")


# -- running ------------------------------------------------------------------------------------------


def _attacks(fam: Family, rows: Sequence[ProbeRow], kind: str) -> list[tuple[ProbeRow, str, Any, dict[str, Any]]]:
    """``(row, variant, completion, columns)`` per attack: a completion is text or a trajectory (a list
    of messages), and an attack may bring the columns it needs (``(variant, completion, {"tools": ...})``)."""
    out = []
    for row in rows:
        try:
            made = fam.generate(row, kind)
        except Exception as exc:  # noqa: BLE001 - a plugin's generator is reported by name
            raise ProbeError(f"probe family {fam.name!r} ({fam.plugin}) raised {type(exc).__name__}: {exc}") from None
        for k, a in enumerate(made):
            cols: Any
            variant, text, cols = (f"v{k}", a, {}) if isinstance(a, str) else (*a, {}) if len(a) == 2 else a
            if not isinstance(text, (str, list)) or not isinstance(cols, Mapping):
                raise ProbeError(f"probe family {fam.name!r} ({fam.plugin}) made a {type(text).__name__}, "
                                 "not text or a list of messages (with an optional table of columns)")
            out.append((row, str(variant), text, dict(cols)))
    return out


def _applies(fam: Family, target: Target) -> bool:
    """A family attacks a reward of its kind, or one it names."""
    name = target.reward.name if target.reward is not None else None
    return target.kind in fam.targets or (name is not None and name in fam.targets)


def _clip(text: Any, n: int = 300) -> str:
    """The start and the end of a long completion (the end is where the final answer is)."""
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False)
    if len(text) <= n:
        return text
    return f"{text[: n // 3]} ...[{len(text) - n:,} chars]... {text[-(2 * n) // 3 :]}"


def probe_target(target: Target, rows: Sequence[ProbeRow], fams: Mapping[str, Family]) -> dict[str, Any]:
    """Every family that targets this reward's kind: attacks, accepted (score above the threshold), examples."""
    cols_needed = [c for c in target.columns() if c not in GOLD_COLUMNS and c != TRAJECTORY]
    result: dict[str, Any] = {"kind": target.kind, "threshold": target.threshold, "families": {}}
    for fam in fams.values():
        if not _applies(fam, target):
            continue
        name = target.reward.name if target.reward is not None and target.kind not in fam.targets else target.kind
        attacks = _attacks(fam, rows, name)
        if cols_needed and not all(all(c in a[3] for c in cols_needed) for a in attacks):
            continue  # this family's attacks do not bring the columns the reward reads
        completions = [a[2] for a in attacks]
        golds = [a[0].gold for a in attacks]
        # columns the family brings win over the probe row's gold (a family may bring its own answer)
        extra = {c: [a[3][c] for a in attacks] for c in target.columns() if attacks and all(c in a[3] for a in attacks)}
        values, statuses = target.score(
            completions, [a[0].prompt for a in attacks], {"answer": golds, "reference": golds, **extra}
        )
        accepted = [i for i, v in enumerate(values) if v is not None and v > target.threshold]
        result["families"][fam.name] = {
            "attacks": len(attacks),
            "accepted": len(accepted),
            "rate": len(accepted) / len(attacks) if attacks else 0.0,
            "errors": statuses.count("error"),
            "timeouts": statuses.count("timeout"),
            "variants_accepted": sorted({attacks[i][1] for i in accepted}),
            "examples": [
                {
                    "row": attacks[i][0].index,
                    "variant": attacks[i][1],
                    "gold": extra["answer"][i] if "answer" in extra else attacks[i][0].gold,
                    "score": values[i],
                    "completion": _clip(attacks[i][2]),
                }
                for i in accepted[:MAX_EXAMPLES]
            ],
        }
    if target.kind == "style" and not result["families"]:
        result["skipped"] = ("style term: it declares checks='style' (a property that says nothing of correctness "
                             "or layout, so wrong answers pass it by design); no family attacks it: probe the composite it shapes")
    elif cols_needed and not result["families"]:
        result["skipped"] = f"needs column(s) {', '.join(cols_needed)}, which probe rows and families lack"
    return result


def probe(
    rewards: Sequence[str] = (),
    *,
    config: Any = None,
    data: str | Path | None = None,
    rows: int = 50,
    seed: int = 0,
    family: Sequence[str] = (),
    thresholds: Mapping[str, float] | None = None,
    prompt_col: str | None = None,
    answer_col: str = "answer",
    everything: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Probe ``rewards`` (and a config's composite) with every applicable family; returns the result.

    ``everything``: also every registered reward that is not a ``model`` reward (``--all``).
    ``progress``: a bar on a terminal, plain periodic lines on stderr elsewhere (:mod:`rewardkit.progress`)."""
    if everything:
        from ..plugins import load_plugins

        load_plugins()
        rewards = [*rewards, *[n for n in all_rewards() if n not in rewards]]
    if rows < 1:
        raise ProbeError("--rows must be at least 1")
    fams = families()
    if family:
        unknown = [f for f in family if f not in fams]
        if unknown:
            raise ProbeError(f"unknown probe family {unknown[0]!r} (known: {', '.join(fams)})")
        fams = {f: fams[f] for f in family}
    targets = targets_for(rewards, config, thresholds)
    probe_rows, source = load_rows(data, rows=rows, seed=seed, prompt_col=prompt_col, answer_col=answer_col)
    return {
        "source": source,
        "rows": len(probe_rows),
        "seed": seed,
        "families": {
            f.name: {"description": f.description, "targets": list(f.targets), "plugin": f.plugin}
            for f in fams.values()
        },
        "rewards": _probe_all(targets, probe_rows, fams, progress),
        **({"plugin_errors": family_errors()} if family_errors() else {}),
    }


def _probe_all(targets: Sequence[Target], rows: Sequence[ProbeRow], fams: Mapping[str, Family],
               progress: bool) -> dict[str, Any]:
    from ..progress import Progress

    out: dict[str, Any] = {}
    with Progress(len(targets), f"probing {len(targets)} reward(s) x {len(fams)} families", enabled=progress,
                  unit="rewards") as bar:
        for t in targets:
            out[t.label] = probe_target(t, rows, fams)
            bar.advance(1)
    return out


def worst(result: Mapping[str, Any]) -> tuple[str, str, float] | None:
    """The highest accept rate: ``(reward, family, rate)``."""
    cells = [(r, f, c["rate"]) for r, d in result["rewards"].items() for f, c in d["families"].items()]
    return max(cells, key=lambda x: x[2]) if cells else None


def markdown(result: Mapping[str, Any]) -> str:
    """Accept rates as a Markdown table: one row per reward, one column per family."""
    fams = list(result["families"])
    lines = ["| reward | " + " | ".join(fams) + " |", "|---|" + "---|" * len(fams)]
    for label, d in result["rewards"].items():
        cells = []
        for f in fams:
            c = d["families"].get(f)
            cells.append("n/a" if c is None else f"{100 * c['rate']:.1f}% ({c['accepted']}/{c['attacks']})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_json(result: Mapping[str, Any], path: str | Path) -> None:
    Path(path).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
