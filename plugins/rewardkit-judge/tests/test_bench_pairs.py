"""judge.pairwise through ``rewardkit bench --pairs``: each row's chosen and rejected items meet each other."""

from __future__ import annotations

import json

from rewardkit.bench.api import run
from rewardkit_judge.prompts import fenced


def longer_wins(q):
    return "A" if len(fenced(q, "Response A")) > len(fenced(q, "Response B")) else "B"


def test_bench_pairs_scores_each_side_against_the_other(fake, tmp_path):
    params, backend = fake(longer_wins)
    rows = [{"prompt": "q1", "chosen": "a long careful answer", "rejected": "short"},
            {"prompt": "q2", "chosen": "tiny", "rejected": "a much longer rejected answer"},
            {"prompt": "q3", "chosen": "same", "rejected": "same"}]
    data = tmp_path / "prefs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    s = run(data, rewards=[f"judge.pairwise:model={params['model']},cache=off"], pairs=("chosen", "rejected"),
            mapping={"pair_a": "chosen", "pair_b": "rejected"}, out=tmp_path / "o", plots=False)
    p = next(iter(s["rewards"].values()))["pairwise"]
    assert (p["wins"], p["ties"], p["losses"]) == (1, 1, 1)
    assert len(backend.asked) == 4  # 2 rows x 2 orders; the identical pair and the second side cost nothing more
