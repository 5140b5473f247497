"""rewardkit inside other trainers' own reward interfaces (each module imports its peer lazily or not at all).

* :mod:`.verl`: verl 0.9's ``compute_score`` scoring in process (``reward.custom_reward_function.path``);
  :mod:`rewardkit.serve.verl` is the same over HTTP.
* :mod:`.openrlhf`: OpenRLHF 0.11's ``reward_func`` module for ``--reward.remote_url path.py`` (no server).
* :mod:`.verifiers`: verifiers 0.4 (``verifiers.v1``) reward functions from any reward or composite.
* :mod:`.openreward`: an Open Reward Standard environment (``openreward.environments.Environment``)
  that TRL's ``trl.experimental.openreward`` trains against; ``rewardkit serve --ors`` serves it.

docs/serve.md has one section per trainer, with the commands the conformance tests run.
"""
