"""A cpu reward whose module takes a while to import (as sympy or a model library may)."""

import time

import rewardkit

time.sleep(1.5)


def quick(*, completions, prompts):
    return [0.5 for _ in completions]


class SlowImportPlugin:
    @staticmethod
    @rewardkit.hookimpl
    def rewardkit_register_rewards(register):
        register(quick, name="t.slowimport", description="Fast reward in a slow-importing module", cost="cpu",
                 timeout=0.5)
