"""A trivial reward for benchmarks/host_overhead.py (module-level, so worker processes can import it)."""

import rewardkit


def digits(*, completions, prompts):
    return [sum(ch.isdigit() for ch in c) / max(1, len(c)) for c in completions]


class Plugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(digits, name="bench.digits", description="Share of digits")
        register(digits, name="bench.digits_cpu", description="Share of digits, in workers", cost="cpu")
