"""An Open Reward Standard environment scoring with rewardkit, for TRL's ``trl.experimental.openreward``.

    rewardkit serve --ors examples/ors_tasks.jsonl -r math.equivalence --port 8080
    python -m rewardkit.integrations.openreward examples/ors_tasks.jsonl -r math.equivalence --port 8080   # the same

serves (with the ``openreward`` SDK's own ``Server``, on loopback) one ORS environment, ``rewardkit``:
its tasks are the rows of a JSONL file (``prompt`` plus any columns, e.g. ``answer``; ``split`` picks
the split, default ``train``), its prompt is the row's ``prompt``, and its one tool, ``submit(answer)``,
scores the answer with the reward or composite and ends the episode with
``ToolOutput{blocks, reward, finished: true, metadata: {status, terms, message}}``. TRL trains on it
with its own client::

    from trl.experimental.openreward import OpenRewardSpec
    spec = OpenRewardSpec("http://127.0.0.1:8080", num_tasks=64)
    GRPOTrainer(..., train_dataset=spec.train_dataset, environment_factory=spec.environment_factory,
                reward_funcs=spec.reward_funcs)

An item that could not be scored (error, timeout, not applicable) gets ``reward: null`` (ORS's "no
reward") with its status in ``metadata``: TRL's outcome reward is then ``None`` and the rollout is
left out of its group's baseline, never trained as a 0.

:func:`environment` builds the ``openreward.environments.Environment`` subclass for your own server.
This module has no ``from __future__ import annotations``: the SDK reads the tool's type hints.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rewardkit.integrations._target import build, outcomes


def _rows(tasks: Any) -> dict[str, list[dict[str, Any]]]:
    """Tasks by split, from a JSONL path or a list of rows (each with ``prompt``; ``split`` optional)."""
    if isinstance(tasks, (str, Path)):
        lines = Path(tasks).read_text(encoding="utf-8").splitlines()
        tasks = [json.loads(line) for line in lines if line.strip()]
    splits: dict[str, list[dict[str, Any]]] = {}
    for i, row in enumerate(tasks):
        if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
            raise ValueError(f"ORS task {i}: each task needs a text 'prompt' (got {row!r:.80})")
        row = dict(row)
        splits.setdefault(str(row.pop("split", "train")), []).append(row)
    return splits


def environment(target: Any, tasks: Any, name: str = "rewardkit") -> type:
    """An ``Environment`` subclass named ``name`` serving ``tasks`` (a JSONL path or rows) and scoring
    ``submit(answer)`` with ``target`` (a built reward/composite, or what :func:`build` accepts)."""
    from openreward.environments import Environment, TextBlock, ToolOutput, tool
    from pydantic import BaseModel, Field

    built = target if hasattr(target, "score") else build(target)
    splits = _rows(tasks)

    class Submission(BaseModel):
        answer: str = Field(description="Your final answer, in the format the task asks for.")

    def submit(self: Any, params: Submission) -> ToolOutput:
        """Submit your final answer. This ends the episode."""
        row = {k: v for k, v in self.task_spec.items() if k != "prompt"}
        item = outcomes(built, [params.answer], [self.task_spec.get("prompt", "")], **{k: [v] for k, v in row.items()})[0]
        text = f"Scored: {item.value}" if item.status == "value" else f"Not scored ({item.status})"
        return ToolOutput(blocks=[TextBlock(text=text)], reward=item.value, finished=True,
                          metadata={"status": item.status, "terms": item.terms, "message": item.message})

    submit.__annotations__ = {"params": Submission, "return": ToolOutput}

    def get_prompt(self: Any) -> list[Any]:
        return [TextBlock(text=str(self.task_spec["prompt"]))]

    @classmethod  # type: ignore[misc]
    def list_tasks(cls: Any, split: str) -> list[dict[str, Any]]:
        if split not in splits:
            raise ValueError(f"unknown split {split!r}; this environment has {sorted(splits)}")
        return splits[split]

    @classmethod  # type: ignore[misc]
    def list_splits(cls: Any) -> list[str]:
        return sorted(splits)

    namespace = {"submit": tool(exclusive=True)(submit), "get_prompt": get_prompt, "list_tasks": list_tasks,
                 "list_splits": list_splits, "__doc__": f"rewardkit rewards as an ORS environment ({name})"}
    return type(name, (Environment,), namespace)


def app(target: Any, tasks: Any, name: str = "rewardkit") -> Any:
    """The ORS server's ASGI app (the ``openreward`` SDK's ``Server``) for :func:`environment`."""
    from openreward.environments import Server

    return Server([environment(target, tasks, name)]).app


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_ors(target: Any, tasks: Any, host: str = "127.0.0.1", port: int = 8080, log_level: str = "warning") -> None:
    """Run the ORS server until stopped (``rewardkit serve --ors TASKS.jsonl``); loopback only."""
    from rewardkit.errors import RewardkitError

    if target is None:
        raise RewardkitError("serve --ors: name the reward to serve (-r NAME or --config)")
    if host not in LOOPBACK:
        raise RewardkitError("serve --ors: the ORS server has no authentication; bind loopback and reach it "
                             "through an SSH tunnel")
    import uvicorn

    uvicorn.run(app(target, tasks), host=host, port=port, log_level=log_level)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rewardkit.integrations.openreward",
                                     description="Serve rewardkit rewards as an Open Reward Standard environment.")
    parser.add_argument("tasks", help="JSONL of tasks: prompt, columns (e.g. answer), optional split")
    parser.add_argument("-r", "--reward", action="append", help="NAME[:k=v] (repeat for an equal-weight composite)")
    parser.add_argument("--config", help="a training config whose [[reward]] terms to use")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    serve_ors(build(args.reward, args.config), args.tasks, args.host, args.port)


if __name__ == "__main__":
    main()
