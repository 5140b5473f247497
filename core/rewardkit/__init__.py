"""rewardkit: reward functions and verifiers as plugins, for GRPO training of language models.

>>> import rewardkit
>>> r = rewardkit.reward("format.tags")            # doctest: +SKIP
>>> r(["<think>2+2</think><answer>4</answer>"])    # doctest: +SKIP
[1.0]
"""

from __future__ import annotations

from . import _clash  # noqa: F401  (raises ImportError naming harbor-rewardkit when it is installed here)
from .composite import Composite, CompositeScores, Term
from .environment import environment  # transformers is imported when an environment is built
from .errors import (
    CompositeError,
    DataError,
    MissingColumnError,
    ParameterError,
    RegistrationError,
    RewardkitError,
    UnknownRewardError,
)
from .hookspecs import hookimpl
from .outcomes import Reason, Scores, Status
from .plugins import load_plugins
from .remote import remote  # httpx is imported on first use, not here
from .reward import Reward, reward, rewards
from .spec import DEFER, Param
from .trl_adapter import to_trl

__version__ = "0.1.0"

__all__ = [
    "DEFER",
    "Composite",
    "CompositeError",
    "CompositeScores",
    "DataError",
    "MissingColumnError",
    "Param",
    "ParameterError",
    "Reason",
    "RegistrationError",
    "Reward",
    "RewardkitError",
    "Scores",
    "Status",
    "Term",
    "UnknownRewardError",
    "environment",
    "hookimpl",
    "load_plugins",
    "remote",
    "reward",
    "rewards",
    "to_trl",
]
