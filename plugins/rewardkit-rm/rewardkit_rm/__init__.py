"""rewardkit-rm: learned reward models as rewards.

- ``rm.classifier``: a one-label sequence-classification reward model (a folder, e.g. one
  written by ``rewardkit rm train``), its logit squashed onto [0, 1] by a calibrated sigmoid.
- ``rm.similarity``: cosine similarity between the completion's answer and a ``reference``
  column, with sentence-transformers (default: the offline all-MiniLM-L6-v2).
- ``rewardkit rm train PAIRS --base MODEL --out DIR``: train a reward model on preference pairs.

Models load once per process (see :data:`rewardkit_rm.models.cache`) and never download.
Importing this module imports neither torch nor transformers.
"""

from __future__ import annotations

from typing import Any

import rewardkit

__all__ = ["rewardkit_register_commands", "rewardkit_register_rewards"]


#: Seconds per item: a model reward's batch runs under ``TIMEOUT`` x items, and a first call loads the model.
TIMEOUT = 60.0


@rewardkit.hookimpl
def rewardkit_register_rewards(register: Any) -> None:
    from . import classifier, similarity

    register(
        classifier.classifier,
        name="rm.classifier",
        description="Learned reward model (sequence classifier) score, sigmoid-squashed onto [0, 1]",
        range=(0.0, 1.0),
        params=classifier.params(),
        cost="model",
        timeout=TIMEOUT,
        check_params=classifier.check_params,
    )
    register(
        similarity.similarity,
        name="rm.similarity",
        description="Cosine similarity of sentence embeddings between the answer and the reference, on [0, 1]",
        columns=("reference",),
        range=(0.0, 1.0),
        params=similarity.params(),
        cost="model",
        timeout=TIMEOUT,
        check_params=similarity.check_params,
    )


@rewardkit.hookimpl
def rewardkit_register_commands(cli: Any) -> None:
    from .command import rm

    cli.add_command(rm)
