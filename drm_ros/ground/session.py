"""`GroundDepth`: one source of the floor plus the refinement, applied frame after frame.
The single entry point used by `drm infer`, `drm eval` and the ROS node.

Sources: off (DRM alone), known (the plane given with each frame, e.g. a synthetic annotation),
fixed (set once: node parameters or TF), auto (`AutoPlane`, a static camera learning its floor),
optionally starting from a floor saved earlier (`saved`, floor_file.py): used from the first frame,
with the uncertainty it was saved with, until the floor learnt anew is as certain as it; dropped at
once when the recent people stop fitting it (the camera moved) or the camera changes.
"""
from __future__ import annotations

from dataclasses import replace

from drm_ros.camera import Camera
from drm_ros.ground.fit import AutoPlane, FitSettings
from drm_ros.ground.floor_file import SavedFloor, calibration_of
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import RefineResult, RefineSettings, refine
from drm_ros.poses import PoseSet

MODES = ("off", "known", "fixed", "auto")
EVIDENCE_MEMORY = 0.98


class GroundDepth:
    def __init__(self, mode: str = "off", plane: GroundPlane | None = None,
                 settings: RefineSettings = RefineSettings(), fit: FitSettings = FitSettings(),
                 saved: SavedFloor | None = None):
        if mode not in MODES:
            raise ValueError(f"ground plane mode '{mode}' is not one of {', '.join(MODES)}")
        if mode == "fixed" and plane is None:
            raise ValueError("ground plane mode 'fixed' needs a plane")
        if saved is not None and mode != "auto":
            raise ValueError("a saved floor seeds a learnt one: it needs ground plane mode 'auto'")
        self.saved = saved  # in use until the learnt floor is as certain (then None for good)
        self.saved_outcome = ""  # why the saved floor was let go
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
            if self.saved is not None and camera != self._camera:
                self.drop_saved(self.saved.calibration_problem(camera))
            self._camera = camera
            self.plane = self.auto.update(poses)  # learnt from DRM's own, unrefined poses
            self._choose_saved_or_learnt()
        settings = self.settings
        if self.mode == "auto" and self.plane is not None:
            # a learnt (or saved) floor is as certain as its fit said (never more than a measured one)
            height, tilt = ((self.saved.height_sigma_m, self.saved.tilt_sigma_deg) if self.saved is not None
                            else (self.auto.height_sigma_m, self.auto.tilt_sigma_deg))
            settings = replace(settings, plane_height_sigma_m=max(settings.plane_height_sigma_m, height),
                               plane_tilt_sigma_deg=max(settings.plane_tilt_sigma_deg, tilt))
        # a fixed or learnt plane is checked against DRM over the whole stream, a per-frame one per frame
        key = (self.auto.reset_count, self.saved is not None, camera) if self.auto else (id(self.plane), camera)
        if self.mode == "known" or key != self._evidence_key:
            self.evidence, self._evidence_key = (0.0, 0.0), key
        result = refine(poses, self.plane if self.mode != "off" else None, camera, settings, self.evidence)
        # old evidence fades (EVIDENCE_MEMORY per frame), so a plane that goes bad is noticed
        self.evidence = tuple(EVIDENCE_MEMORY * a + b for a, b in zip(self.evidence, result.evidence))
        for k, v in result.counts.items():
            self.totals[k] += v
        return result

    def learnt_floor(self, frame_id: str, note: str = "") -> SavedFloor | None:
        """The floor learnt in this stream, to be saved (floor_file.save_floor); None while there is
        none of its own (a saved floor still in use is already on disk)."""
        if self.auto is None or self.auto.plane is None or self.saved is not None or self._camera is None:
            return None
        return SavedFloor(self.auto.plane, self.auto.tilt_sigma_deg, self.auto.height_sigma_m, frame_id,
                          calibration_of(self._camera), self.auto.num_people, note)

    def _choose_saved_or_learnt(self) -> None:
        """While a saved floor is held: keep it unless the people stopped fitting it or the floor
        learnt anew is now at least as certain."""
        if self.saved is None:
            return
        if self.auto.reset_count:
            self.drop_saved("the learnt floor was reset (the camera moved)")
        elif self.auto.fits(self.saved.plane) is False:
            self.drop_saved("the recent people do not stand on it (the camera moved?)")
        elif self.plane is not None and self.auto.tilt_sigma_deg <= self.saved.tilt_sigma_deg \
                and self.auto.height_sigma_m <= self.saved.height_sigma_m:
            self.drop_saved("the floor learnt since is as certain")
        else:
            self.plane = self.saved.plane

    def drop_saved(self, why: str) -> None:
        """Stop using the saved floor, for good, if there is a reason (`why` empty: keep it)."""
        if self.saved is not None and why:
            self.saved, self.saved_outcome = None, why

    def describe(self, source: str = "") -> str:
        """One line for logs and /diagnostics; `source` names where the plane comes from (default: the mode)."""
        if self.mode == "off":
            return "off"
        source = source or self.mode
        if self.plane is None:
            extra = (f" ({self.auto.num_points} ankle points of {self.auto.num_people} people so far; a floor needs "
                     f"{self.auto.s.min_points} points of {self.auto.s.min_people} people over {self.auto.s.min_frames} frames)") if self.auto else ""
            return f"{source}: no plane yet{extra}"
        p = self.plane
        text = f"{source}: camera {p.height:.2f} m above the floor, pitch {p.pitch_deg:.1f} deg, roll {p.roll_deg:.1f} deg"
        if self.saved is not None:
            return (text + f", the saved floor (+-{self.saved.tilt_sigma_deg:.1f} deg / +-{self.saved.height_sigma_m:.2f} m, "
                    f"{self.saved.people} people) while {self.auto.num_points} ankle points are learnt anew")
        if self.auto:
            text += (f", confidence {self.auto.confidence:.2f}, +-{self.auto.tilt_sigma_deg:.1f} deg / "
                     f"+-{self.auto.height_sigma_m:.2f} m ({self.auto.num_points} points of {self.auto.num_people} people, "
                     f"{self.auto.reset_count} resets)")
        return text
