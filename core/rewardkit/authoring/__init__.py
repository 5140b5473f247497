"""Tools for plugin authors: ``rewardkit new-plugin`` (scaffold) and ``rewardkit check-plugin``."""
