"""Benchmarks (`drm bench ...`): scripts that print medians, spreads and ratios measured side by
side in one run. Never timed assertions: these machines are noisy."""
