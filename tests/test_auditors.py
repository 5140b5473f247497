"""Two public auditors against every built-in reward (issue 32): reward-doctor (what a verifier accepts:
false positives, exploits, false negatives, crashes) and rlgate (baseline sanity, unguarded parts of a
gold answer, world-readable graders, leaked git objects).

Every finding is fixed, listed here as intended (with its reason in docs/auditors.md), or listed as
KNOWN: reported to the reward's owner in the issue and not yet fixed (a fix makes it disappear; the
test does not mind). Anything else fails the test. Wrappers: tests/support/auditors.py (reward-doctor)
and tests/support/rlgate_tasks.py (rlgate).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SUPPORT = Path(__file__).parent / "support"
sys.path.insert(0, str(SUPPORT))

reward_doctor = pytest.importorskip("reward_doctor", reason="pip install reward-doctor (the test extra)")
pytest.importorskip("rlgate", reason="pip install --no-deps --ignore-requires-python rlgate (scripts/setup.sh)")

import auditors as A  # noqa: E402
import rlgate_tasks as R  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "auditors.md"
ALL = None  # every false negative is intended (the reward reads one format, or is no equivalence checker)

#: reward -> intended false negatives (ALL or case ids), intended false positives (case ids).
INTENDED: dict[str, tuple[set[str] | None, set[str]]] = {
    "math.equivalence": ({"eq.choice.case"}, set()),
    "math.parseable": (set(), set()),
    "text.exact": (ALL, set()),
    "text.token_f1": (ALL, set()),
    "text.bleu": (ALL, set()),
    "text.chrf": (ALL, set()),
    "text.rouge": (ALL, set()),
    "format.tags": (set(), set()),
    "format.strict": (set(), set()),
    "format.overlong": (set(), {"x.padding.long_wrong", "x.padding.repetition"}),
    "format.repetition": (set(), set()),
    "json.valid": (set(), {"x.empty.boxed"}),
    "json.match": (ALL, set()),
    "json.schema": (set(), set()),
    "ifeval.strict": (set(), {"x.empty.boxed", "x.empty.label_only"}),
    "ifeval.loose": (set(), {"x.empty.boxed", "x.empty.label_only"}),
    "gym.score": (ALL, set()),
    "gym.score_sandboxed": (ALL, set()),
    "tools.result_used": (set(), set()),
    "tools.call_format": (set(), {"x.empty.blank", "x.empty.whitespace", "x.empty.boxed", "x.empty.label_only",
                                  "x.empty.think_only"}),
    "tools.efficiency": (set(), {"x.empty.blank", "x.empty.whitespace", "x.empty.boxed", "x.empty.label_only",
                                 "x.empty.think_only"}),
    "code.compiles": (set(), set()),
    "code.passes": (ALL, set()),
    "code.tests": (ALL, set()),
    "judge.equivalence": ({"eq.radical.latex", "eq.text.article"}, set()),
    "judge.rubric": (set(), set()),
    "judge.pairwise": (set(), set()),
    "rm.similarity": (ALL, {"ne.frac.inverted"}),
    "rm.classifier": (set(), {"x.empty.blank", "x.empty.whitespace", "x.empty.boxed", "x.empty.label_only",
                              "x.empty.think_only"}),
}

#: Reported to the owner (/work/coord/auditor_findings.md, issue 32), not intended, not yet fixed: none left.
#: A finding added here must name its owner; a fix removes it, so a regression fails the test.
KNOWN: dict[str, set[str]] = {}

#: rlgate: the hunks a reward does not need, by design. Answer checkers grade the final answer, not the
#: reasoning (DESIGN.md: the answer span only); IFEval's loose variant also scores the response without
#: its first line, which is where the comma the no_comma hunk removes is.
UNGUARDED: dict[str, set[str]] = {name: {R.REASONING_NOT_GRADED} for name in (
    "math.equivalence", "math.parseable", "text.exact", "text.token_f1", "text.bleu", "text.chrf", "text.rouge",
    "gym.score", "gym.score_sandboxed", "tools.result_used", "judge.equivalence", "judge.rubric", "judge.pairwise",
    "rm.similarity")}
UNGUARDED["ifeval.loose"] = {"completion.txt#hunk0"}
#: No rlgate environment: rm.classifier has no gold (a preference model; docs/auditors.md).
NO_RLGATE = {"rm.classifier"}

SLOW = {"rm.similarity", "rm.classifier", "code.passes", "code.tests", "gym.score", "gym.score_sandboxed"}


def _params(names):
    return [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in names]


def test_every_built_in_reward_is_audited_and_documented():
    from rewardkit.registry import registry

    builtin = {n for n in registry.specs() if n.split(".")[0] in {
        "math", "text", "format", "json", "ifeval", "gym", "tools", "code", "judge", "rm"}}
    new = "a built-in reward the auditors do not cover: add it to tests/support/auditors.py (SPECS), " \
          "tests/support/rlgate_tasks.py (ENVS), INTENDED here and docs/auditors.md"
    assert builtin == set(A.SPECS) == set(INTENDED), f"{new}: {sorted(builtin ^ set(A.SPECS))}"
    assert set(R.ENVS) | NO_RLGATE == builtin, f"{new}: {sorted(builtin ^ (set(R.ENVS) | NO_RLGATE))}"
    doc = DOC.read_text()
    for name, (fn, fp) in INTENDED.items():
        assert f"`{name}`" in doc, f"docs/auditors.md does not mention {name}"
        for case in sorted(fp | (fn or set())):
            assert case in doc, f"docs/auditors.md does not give the reason for {name}'s {case}"


@pytest.fixture(scope="module")
def yes_judge():
    A.yes_judge()


@pytest.mark.parametrize("name", _params(sorted(A.SPECS)))
def test_reward_doctor_finds_nothing_undocumented(name, yes_judge, tmp_path):
    from reward_doctor import audit
    from reward_doctor.corpus import contested, load

    spec = A.SPECS[name]
    cases = load(attacks=list(spec.scope)) if spec.scope else None
    extra = {}
    if name == "rm.classifier":
        from rewardkit.tiny import save_tiny

        extra["model"] = str(save_tiny(tmp_path / "rm", "classifier"))
    ahead = cases if cases is not None else load() + contested()
    report = audit(A.verifier(name, ahead, **extra), name=name, cases=cases, threshold=spec.threshold)
    assert report.outcomes and not report.errors, [(o.case.id, o.error) for o in report.errors]
    fn_ok, fp_ok = INTENDED[name]
    known = KNOWN.get(name, set())
    fps = {o.case.id for o in report.false_positives}
    fns = {o.case.id for o in report.false_negatives}
    assert fps <= fp_ok | known, f"{name}: false positives nobody has explained: {sorted(fps - fp_ok - known)}"
    if fn_ok is not ALL:
        assert fns <= fn_ok | known, f"{name}: false negatives nobody has explained: {sorted(fns - fn_ok - known)}"


@pytest.mark.parametrize("name", _params(sorted(R.ENVS)))
def test_rlgate_finds_nothing_undocumented(name, yes_judge, tmp_path):
    from rlgate.ingest import spec
    from rlgate.pipeline import audit

    task = spec.load(R.write_task(tmp_path, name))
    result = audit(task, sandbox=R.in_process_sandbox(task.repo_dir, name), k=2)
    assert result.baseline_sane, f"{name}: the gold completion must pass and the unedited one fail, every time"
    found = {(f.probe_id, f.location) for f in result.findings}
    allowed = {("grader_strength.revert_probe", loc) for loc in UNGUARDED.get(name, set())}
    assert found <= allowed, f"{name}: {sorted(found - allowed)}"


@pytest.mark.slow
def test_the_rlgate_command_audits_a_reward_end_to_end(tmp_path):
    """``rlgate audit`` itself (its local backend: a Python grader process per run) on math.equivalence."""
    task = R.write_task(tmp_path, "math.equivalence")
    out = subprocess.run([sys.executable, "-m", "rlgate.cli", "audit", str(task), "--backend", "local", "-k", "1",
                          "--format", "json"], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout)
    assert report["baseline_sane"] is True
    assert [(f["probe_id"], f["location"]) for f in report["findings"]] == [
        ("grader_strength.revert_probe", R.REASONING_NOT_GRADED)]
