"""Built-in data tasks (datasets shipped with rewardkit)."""
