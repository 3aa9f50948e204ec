"""The one interface every runtime backend implements: the dense part of the network at one
input size, (1, 3, H, W) float RGB 0..255 in, the maps of `DRMNet.dense` out, as torch tensors."""
from __future__ import annotations

import numpy as np
import torch

from drm_ros.network import DENSE_OUTPUTS


class BackendError(RuntimeError):
    """A backend that cannot run: not installed, unknown, or its model file cannot be built."""


class DenseRunner:
    """Subclasses set `input_size` and implement `_run(image) -> list of arrays in DENSE_OUTPUTS order`."""

    input_size: tuple[int, int]

    def __call__(self, image: torch.Tensor) -> tuple[torch.Tensor, ...]:
        w, h = self.input_size
        if tuple(image.shape) != (1, 3, h, w):
            raise ValueError(f"this runner takes (1, 3, {h}, {w}) images, got {tuple(image.shape)}")
        # the runtimes read plain NCHW memory; the estimator's tensor may be channels_last
        x = np.ascontiguousarray(image.detach().cpu().numpy(), dtype=np.float32)
        outputs = self._run(x)
        if len(outputs) != len(DENSE_OUTPUTS):
            raise BackendError(f"runtime returned {len(outputs)} outputs, expected {len(DENSE_OUTPUTS)}")
        return tuple(torch.from_numpy(np.ascontiguousarray(o)) for o in outputs)

    def _run(self, image: np.ndarray) -> list[np.ndarray]:
        raise NotImplementedError
