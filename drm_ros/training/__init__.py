"""Training: config, data, the frozen-2D feature cache and the loop (`drm train`)."""
