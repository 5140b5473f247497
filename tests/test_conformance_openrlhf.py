"""OpenRLHF 0.11.2's own ``SingleTurnAgentExecutor`` with rewardkit's reward_func module and server
(issue 34: OpenRLHF item).

The executor loads ``rewardkit/integrations/openrlhf.py`` by path exactly as ``--reward.remote_url
path.py`` does, and posts to ``rewardkit serve``'s ``/get_reward`` for a URL; a stand-in engine and
tokenizer replace vLLM (bytes as tokens). Before: there was no module to pass (OpenRLHF had to go through
a server, one HTTP request per sample). Runs where openrlhf is installed (scripts/install_conformance.sh).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

agent = pytest.importorskip("openrlhf.utils.agent", reason="openrlhf is installed by scripts/install_conformance.sh")

import rewardkit  # noqa: E402
import rewardkit.integrations.openrlhf as module  # noqa: E402

HERE = Path(__file__).parent
PROMPT = "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"


class _Tokenizer:
    def __call__(self, text: str, add_special_tokens: bool = False, return_tensors: str = "pt") -> Any:
        import torch

        return {"input_ids": torch.tensor([list(text.encode())])}

    def decode(self, ids: Any, skip_special_tokens: bool = False) -> str:
        return bytes(int(i) for i in ids).decode()


class _Engine:
    """Answers every prompt with the next reply, as vLLM's engine would (token ids = bytes)."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)

    async def generate(self, prompt_ids: Any, params: Any, multi_modal_data: Any = None) -> Any:
        text = self.replies.pop(0)
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=list(text.encode()), finish_reason="stop",
                                                        logprobs=None)])


def _execute(url: str, replies: list[str], labels: list[Any], executor: Any = None) -> list[dict[str, Any]]:
    executor = executor or agent.SingleTurnAgentExecutor(url)
    engine, tok = _Engine(replies), _Tokenizer()
    params = SimpleNamespace(max_tokens=64, logprobs=None)

    async def run() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(executor.execute(PROMPT, label, params, 512, tok, engine)
                                           for label in labels)))

    return asyncio.run(run())


REPLIES = ["<think>2+3</think><answer>5</answer><|im_end|>", "<think>hm</think><answer>6</answer><|im_end|>",
           "<answer>5</answer><|im_end|><|endoftext|>"]


def test_reward_func_module_by_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDKIT_REWARD", "format.tags;math.equivalence")
    monkeypatch.setenv("REWARDKIT_STRIP", "<|im_end|>;<|endoftext|>")
    monkeypatch.setattr(module, "_batcher", None)
    monkeypatch.setenv("REWARDKIT_BATCH_MS", "200")
    executor = agent.SingleTurnAgentExecutor(module.__file__)
    out = _execute(module.__file__, REPLIES[:1] * 8, ["5"] * 8, executor)
    assert {o["reward"][0] for o in out} == {2.0}
    assert out[0]["extra_logs"]["format.tags"] == [1.0] and out[0]["extra_logs"]["rewardkit/error"] == [0.0]
    # OpenRLHF called reward_func once per sample; the module's batcher scored them in fewer batches
    batches = executor.reward_func.__globals__["batcher"]().batches
    assert sum(batches) == 8 and len(batches) < 8


def test_reward_func_scores_like_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REWARDKIT_REWARD", "math.equivalence")
    monkeypatch.setenv("REWARDKIT_STRIP", "<|im_end|>;<|endoftext|>")
    monkeypatch.setenv("REWARDKIT_BATCH_MS", "0")
    monkeypatch.setattr(module, "_batcher", None)
    out = module.reward_func([PROMPT + r for r in REPLIES], [PROMPT] * 3, ["5", "5", "5"])
    expected = rewardkit.reward("math.equivalence")([r.split("<|im_end|>")[0] for r in REPLIES], answer=["5"] * 3)
    assert out["rewards"] == expected == [1.0, 0.0, 1.0]


def test_unscorable_item_gets_fill_and_flag(monkeypatch: pytest.MonkeyPatch, core_plugin: Any) -> None:
    monkeypatch.setenv("REWARDKIT_REWARD", "t.misbehave")
    monkeypatch.setenv("REWARDKIT_FILL", "-1")
    monkeypatch.setattr(module, "_batcher", None)
    out = module.reward_func(["Q raise"], ["Q "], [None])
    assert out["rewards"] == [-1.0] and out["extra_logs"]["rewardkit/error"] == [1.0]


def test_openrlhf_http_path_against_serve() -> None:
    sys.path.insert(0, str(HERE / "support"))
    import rk_tenants

    from rewardkit.serve import ServeSettings

    settings = ServeSettings(port=rk_tenants.free_port(), openrlhf_strip=("<|im_end|>", "<|endoftext|>"))
    with rk_tenants.live(settings, default=rewardkit.reward("math.equivalence")) as url:
        out = _execute(url + "/get_reward", REPLIES, ["5", "5", "5"])
    assert [o["reward"] for o in out] == [[1.0], [0.0], [1.0]]
    assert out[1]["extra_logs"]["rewardkit/error"] == [0.0]


def test_truncated_prompts_are_read_like_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenRLHF cuts long prompts from the left: the module finds the response as /get_reward does."""
    monkeypatch.setenv("REWARDKIT_REWARD", "math.equivalence")
    monkeypatch.setenv("REWARDKIT_BATCH_MS", "0")
    monkeypatch.setattr(module, "_batcher", None)
    prompt = "x" * 200 + PROMPT
    kept = prompt[-120:] + "<answer>5</answer>"            # the query starts inside the prompt
    other = "a different prompt entirely <answer>5</answer>"  # the prompt's end is nowhere: refused
    out = module.reward_func([kept, other], [prompt, prompt], ["5", "5"])
    assert out["rewards"] == [1.0, 0.0]
    assert out["extra_logs"]["rewardkit/error"] == [0.0, 1.0]
