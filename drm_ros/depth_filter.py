"""Temporal filtering of each tracked person's distance (issue 13: depth jitter on video).

A monocular root depth is re-estimated from scratch every frame, so it trembles along the
viewing ray: from apparent size by a few percent, from feet on the floor by the ankles' pixel
noise times the grazing-ray gain Z^2 / (f D) (at 15 m from a camera 4 m up, one pixel is
~8 cm). Bodies move smoothly at camera rates; this noise does not. Per track id (tracking.py),
an alpha-beta filter (constant velocity) follows log Z of the root, and the whole skeleton moves
along its own viewing rays to the filtered depth, so the 2D and the relative pose are untouched
(the same move the ground-plane refinement makes, ground/refine.shift_depth).

Filtering log Z makes the gains scale-free: a person 2 m away and one 15 m away are followed with
the same relative lag. alpha = 1 passes the measurement through (off). Defaults (INFERRED,
measured by tools/depth_smoothing.py on a labelled synthetic sequence, model/logs/ground_plane/
depth_filter_seq.log): alpha 0.5, beta 0.05 cut the median joint jitter 398 -> 214 mm and the
mean root error 824 -> 809 mm (PCKabs 10.2 -> 10.9, AP_root 5.3 -> 5.0); stronger filtering
(alpha 0.3) calms more but lags behind real motion and loses accuracy. Session 14 (with the
tracker of session 13, model/logs/depth_filter/alpha_sweep_session14.log) lowered the node's
alpha to 0.4: jitter 9-13 % lower on four labelled sequences, AP_root and PCKabs -1.6 to +0.7
(-0.2 on average), and vtest's online jitter 158 -> 139 mm. A track unseen for more
than `max_gap` frames restarts from its next measurement.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drm_ros.camera import Camera
from drm_ros.ground.refine import shift_depth
from drm_ros.poses import PoseSet


@dataclass
class _State:
    log_z: float
    rate: float  # d log Z per frame
    frame: int  # the frame it was last updated in


class DepthFilter:
    def __init__(self, alpha: float = 0.5, beta: float = 0.05, max_gap: int = 3):
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"depth filter alpha must be in (0, 1], got {alpha}")
        if not 0.0 <= beta <= alpha:
            raise ValueError(f"depth filter beta must be in [0, alpha], got {beta}")
        self.alpha, self.beta, self.max_gap = float(alpha), float(beta), int(max_gap)
        self._states: dict[int, _State] = {}
        self._frame = 0
        self._camera: Camera | None = None

    def reset(self) -> None:
        self._states.clear()

    def update(self, poses: PoseSet, camera: Camera) -> PoseSet:
        """Filter one frame's tracked poses (ids >= 0; untracked people pass unchanged)."""
        if self._camera is not None and camera != self._camera:
            # a new calibration rescales every depth the network reads (as Tracker.rebase): the
            # filter follows at once instead of easing towards the new depths over many frames
            size = (camera.width / self._camera.width) * (camera.height / self._camera.height)
            step = 0.5 * np.log(camera.fx * camera.fy / (self._camera.fx * self._camera.fy) / size)
            for state in self._states.values():
                state.log_z += step
        self._camera = camera
        self._frame += 1
        n = len(poses)
        delta = np.zeros(n)
        for i in range(n):
            pid, z = int(poses.ids[i]), float(poses.roots[i, 2])
            if pid < 0 or not (np.isfinite(z) and z > 0):
                continue
            log_z = np.log(z)
            state = self._states.get(pid)
            gap = self._frame - state.frame if state else 0
            if state is None or gap > self.max_gap:
                self._states[pid] = _State(log_z, 0.0, self._frame)
                continue
            predicted = state.log_z + state.rate * gap
            residual = log_z - predicted
            state.log_z = predicted + self.alpha * residual
            state.rate += self.beta * residual / gap
            state.frame = self._frame
            delta[i] = np.exp(state.log_z) - z
        old = [pid for pid, s in self._states.items() if self._frame - s.frame > self.max_gap]
        for pid in old:
            del self._states[pid]
        return shift_depth(poses, delta, camera) if np.any(delta) else poses
