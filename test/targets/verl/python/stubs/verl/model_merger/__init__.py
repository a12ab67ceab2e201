"""Stand-in for verl.model_merger (tests only)."""
