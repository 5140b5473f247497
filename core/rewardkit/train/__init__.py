"""GRPO training with TRL on rewardkit rewards: ``rewardkit train CONFIG.toml``.

Light on import: the config is validated (:mod:`rewardkit.train.config`) before torch,
transformers or TRL are imported; :mod:`rewardkit.train.grpo` builds the trainer.
"""

from __future__ import annotations

from .config import ConfigError, TrainConfig, load_config

__all__ = ["ConfigError", "TrainConfig", "load_config"]
