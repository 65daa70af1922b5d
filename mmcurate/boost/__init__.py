"""The self-boosting loop, `curate boost` (config, loop, cli)."""
