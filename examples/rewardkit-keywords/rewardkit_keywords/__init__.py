"""rewardkit-keywords: keyword coverage of a completion (a worked example of an external plugin).

The entry point ``keywords = "rewardkit_keywords"`` in pyproject.toml makes rewardkit load this
module; the hook below registers the rewards. Keep this module light: import heavy libraries
inside the reward functions.
"""

from __future__ import annotations

import rewardkit

from .coverage import coverage


@rewardkit.hookimpl
def rewardkit_register_rewards(register):
    register(
        coverage,
        name="keywords.coverage",
        description="Share of the row's keywords that appear in the completion",
        columns=("keywords",),
        range=(0.0, 1.0),
        params={
            "match": rewardkit.Param("word", choices=("word", "substring"),
                                     help="'word': whole words only; 'substring': anywhere"),
            "case_sensitive": rewardkit.Param(False, help="match upper/lower case exactly"),
        },
        cost="fast",
    )
