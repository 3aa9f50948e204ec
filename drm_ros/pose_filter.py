"""Temporal filtering of each tracked person's relative pose (limb jitter on video).

DRM lifts every frame afresh, so the root-relative joints tremble from frame to frame: the
lifter's dz and the 2D branch's noise are nearly independent between frames, bodies are not. Per
track id (tracking.py), a One-Euro filter (a first-order low-pass whose cutoff rises with speed:
slow poses are calmed, fast motion is followed with little lag; Casiez, Roussel and Vogel, CHI
2012) smooths every joint's offset from the root. The root stays where the depth filter
(depth_filter.py) or the measurement put it, and the published 2D stays the 2D branch's.

Each joint has its own cutoff, from its own speed, so a waving arm is followed while the legs
stay calm. The hips' offsets are opposite (the pelvis is their midpoint), so their speeds, cutoffs
and filtered offsets are too: the pelvis stays their midpoint. Time comes from the frames'
stamps, so the gains mean the same at any frame rate; a track unseen for longer than max_gap_s
(or whose stamps go back) restarts from its next measurement, so frames further apart than that
(a node falling below 2 fps) pass unfiltered. min_cutoff = 0 is off.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from drm_ros.poses import PoseSet
from drm_ros.skeleton import ROOT

DERIVATIVE_CUTOFF_HZ = 1.0  # the speed estimate's own low-pass (the method's usual value)


def _alpha(cutoff_hz, dt: float):
    """The smoothing factor of a first-order low-pass with this cutoff (Hz) at step dt (s)."""
    return 1.0 / (1.0 + 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz) * dt))


@dataclass
class _State:
    offsets: np.ndarray  # (J, 3) filtered joint offsets from the root, metres
    speed: np.ndarray  # (J,) filtered joint speeds, m/s
    stamp: float


class PoseFilter:
    def __init__(self, min_cutoff_hz: float, beta: float, max_gap_s: float = 0.5):
        if not min_cutoff_hz >= 0:
            raise ValueError(f"pose filter min_cutoff_hz must be >= 0 (0 = off), got {min_cutoff_hz}")
        if not beta >= 0:
            raise ValueError(f"pose filter beta must be >= 0, got {beta}")
        self.min_cutoff_hz, self.beta, self.max_gap_s = float(min_cutoff_hz), float(beta), float(max_gap_s)
        self._states: dict[int, _State] = {}

    @property
    def enabled(self) -> bool:
        return self.min_cutoff_hz > 0

    def reset(self) -> None:
        self._states = {}

    def update(self, poses: PoseSet, stamp_s: float) -> PoseSet:
        """The PoseSet with each tracked person's 3D joints filtered (ids < 0 pass through)."""
        if not self.enabled or len(poses) == 0:
            return poses
        joints = poses.joints3d.copy()
        for i, pid in enumerate(poses.ids):
            offsets = joints[i] - poses.roots[i]
            if pid < 0 or not np.isfinite(offsets).all():
                continue
            state = self._states.get(int(pid))
            dt = stamp_s - state.stamp if state is not None else 0.0
            if state is None or not 0.0 < dt <= self.max_gap_s:
                self._states[int(pid)] = _State(offsets, np.zeros(len(offsets)), stamp_s)
                continue
            speed = np.linalg.norm(offsets - state.offsets, axis=-1) / dt
            speed = state.speed + _alpha(DERIVATIVE_CUTOFF_HZ, dt) * (speed - state.speed)
            a = _alpha(self.min_cutoff_hz + self.beta * speed, dt)[:, None]
            smooth = state.offsets + a * (offsets - state.offsets)
            self._states[int(pid)] = _State(smooth, speed, stamp_s)
            joints[i] = poses.roots[i] + smooth
            joints[i, ROOT] = poses.roots[i]
        # tracks not seen for longer than the gap are forgotten
        self._states = {k: s for k, s in self._states.items() if stamp_s - s.stamp <= self.max_gap_s}
        return replace(poses, joints3d=joints)
