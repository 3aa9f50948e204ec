"""`GroundDepth`: one source of the floor plus the refinement, applied frame after frame.
The single entry point used by `drm infer`, `drm eval` and the ROS node.

Sources: off (DRM alone), known (the plane given with each frame, e.g. a synthetic annotation),
fixed (set once: node parameters or TF), auto (`AutoPlane`, a static camera learning its floor).
"""
from __future__ import annotations

from dataclasses import replace

from drm_ros.camera import Camera
from drm_ros.ground.fit import AutoPlane, FitSettings
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import RefineResult, RefineSettings, refine
from drm_ros.poses import PoseSet

MODES = ("off", "known", "fixed", "auto")
EVIDENCE_MEMORY = 0.98


class GroundDepth:
    def __init__(self, mode: str = "off", plane: GroundPlane | None = None,
                 settings: RefineSettings = RefineSettings(), fit: FitSettings = FitSettings()):
        if mode not in MODES:
            raise ValueError(f"ground plane mode '{mode}' is not one of {', '.join(MODES)}")
        if mode == "fixed" and plane is None:
            raise ValueError("ground plane mode 'fixed' needs a plane")
        self.mode, self.settings = mode, settings
        self.auto = AutoPlane(replace(fit, ankle_height_m=settings.ankle_height_m)) if mode == "auto" else None
        self._camera: Camera | None = None
        self.plane: GroundPlane | None = plane
        self.evidence = (0.0, 0.0)  # plane vs DRM over the frames with the current plane
        self._evidence_key = None
        self.totals = {"no_feet": 0, "gated": 0, "refined": 0, "frames_plane_rejected": 0}

    def apply(self, poses: PoseSet, camera: Camera, known: GroundPlane | None = None) -> RefineResult:
        """Refine one frame's poses. `known` is required in mode 'known' (ValueError without it)."""
        if self.mode == "known":
            if known is None:
                raise ValueError("ground plane mode 'known' needs the true plane with every frame "
                                 "(a dataset without 'ground' annotations?)")
            self.plane = known
        elif self.mode == "auto":
            if self._camera is not None and camera != self._camera:
                self.auto.clear()  # another camera is another floor
            self._camera = camera
            self.plane = self.auto.update(poses)  # learnt from DRM's own, unrefined poses
        settings = self.settings
        if self.mode == "auto" and self.plane is not None:
            # a learnt floor is as certain as its fit says (never more than a measured one)
            settings = replace(settings, plane_height_sigma_m=max(settings.plane_height_sigma_m, self.auto.height_sigma_m),
                               plane_tilt_sigma_deg=max(settings.plane_tilt_sigma_deg, self.auto.tilt_sigma_deg))
        # a fixed or learnt plane is checked against DRM over the whole stream, a per-frame one per frame
        key = (self.auto.reset_count, camera) if self.auto else (id(self.plane), camera)
        if self.mode == "known" or key != self._evidence_key:
            self.evidence, self._evidence_key = (0.0, 0.0), key
        result = refine(poses, self.plane if self.mode != "off" else None, camera, settings, self.evidence)
        # old evidence fades (EVIDENCE_MEMORY per frame), so a plane that goes bad is noticed
        self.evidence = tuple(EVIDENCE_MEMORY * a + b for a, b in zip(self.evidence, result.evidence))
        for k, v in result.counts.items():
            self.totals[k] += v
        return result

    def describe(self) -> str:
        """One line for logs and /diagnostics."""
        if self.mode == "off":
            return "off"
        if self.plane is None:
            extra = (f" ({self.auto.num_points} ankle points of {self.auto.num_people} people so far; a floor needs "
                     f"{self.auto.s.min_points} points of {self.auto.s.min_people} people over {self.auto.s.min_frames} frames)") if self.auto else ""
            return f"{self.mode}: no plane yet{extra}"
        p = self.plane
        text = f"{self.mode}: camera {p.height:.2f} m above the floor, pitch {p.pitch_deg:.1f} deg, roll {p.roll_deg:.1f} deg"
        if self.auto:
            text += (f", confidence {self.auto.confidence:.2f}, +-{self.auto.tilt_sigma_deg:.1f} deg / "
                     f"+-{self.auto.height_sigma_m:.2f} m ({self.auto.num_points} points of {self.auto.num_people} people, "
                     f"{self.auto.reset_count} resets)")
        return text
