"""rewardkit-format: rewards for the layout of a completion (placeholder, being written)."""

from __future__ import annotations

import rewardkit


def tags(*, completions: list[str], prompts: list[str], **_: object) -> list[float]:
    """1.0 when the completion has a <think> block followed by an <answer> block."""
    out = []
    for c in completions:
        t = c.find("</think>")
        a = c.find("<answer>", t)
        b = c.find("</answer>", a)
        out.append(1.0 if t >= 0 and a > t and b > a else 0.0)
    return out


@rewardkit.hookimpl
def rewardkit_register_rewards(register):
    register(tags, name="format.tags", description="A <think> block followed by an <answer> block",
             range=(0.0, 1.0))
