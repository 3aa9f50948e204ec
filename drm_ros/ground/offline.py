"""The offline second pass over a recorded stream (a bag being scored): learn the floor from the
whole stream first, then refine every frame with that final floor.

A live node cannot change the past: its first frames have no floor yet and the early floor is
uncertain (few people), so those frames keep DRM's depth or lean on it. An evaluator holds every
frame at once and can apply, from frame 0 on, the floor the node would only know at the end.

Nothing about the floor changes, only when it is applied: `AutoPlane` (same fit, window, gates)
runs over the frames in order exactly as the node's would, and the floor it holds at the end of
each stretch is applied to that stretch with the uncertainty it then claims, through the same
refinement and gates as a fixed floor (`GroundDepth('fixed')`). A stretch ends where the camera's
calibration changes (another camera, another floor) or where `AutoPlane` resets (the camera moved):
each gets its own final floor, and a stretch in which no floor was ever trusted keeps DRM's depth.

Input: DRM's own poses (the node run with its floor off, so nothing was refined yet), one PoseSet
and one Camera per frame, in stream order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from drm_ros.camera import Camera
from drm_ros.depth_filter import DepthFilter
from drm_ros.depth_smoother import SMOOTHER_ALPHA, SMOOTHER_BETA, smooth_depths
from drm_ros.ground.fit import AutoPlane, FitSettings
from drm_ros.ground.floor_file import SavedFloor, calibration_of
from drm_ros.ground.plane import GroundPlane
from drm_ros.ground.refine import RefineResult, RefineSettings
from drm_ros.ground.session import GroundDepth
from drm_ros.poses import PoseSet

FLOOR_PASSES = ("online", "offline")


@dataclass
class Stretch:
    """Consecutive frames [start, stop) with one camera and no floor reset."""
    start: int
    stop: int
    plane: GroundPlane | None = None  # the last floor AutoPlane offered in the stretch
    height_sigma_m: float = float("nan")
    tilt_sigma_deg: float = float("nan")
    description: str = ""
    people: int = 0  # people the floor was fitted to
    camera: Camera | None = None


@dataclass
class OfflinePass:
    poses: list[PoseSet]
    results: list[RefineResult]
    stretches: list[Stretch]
    totals: dict

    def describe(self) -> str:
        return "; ".join(f"frames {s.start}-{s.stop - 1}: {s.description}" for s in self.stretches)

    def last_floor(self, frame_id: str, note: str = "") -> SavedFloor | None:
        """The floor of the last stretch that has one, to be saved (floor_file.py): what a node
        watching the same camera can start from."""
        s = next((s for s in reversed(self.stretches) if s.plane is not None), None)
        if s is None:
            return None
        return SavedFloor(s.plane, s.tilt_sigma_deg, s.height_sigma_m, frame_id, calibration_of(s.camera), s.people, note)


def learn_floors(frames: list[PoseSet], cameras: list[Camera], fit: FitSettings = FitSettings()) -> list[Stretch]:
    """Run the node's AutoPlane over the whole stream; per stretch, the last floor it offered."""
    stretches: list[Stretch] = []
    auto, camera_before, resets_before = None, None, 0
    for k, (poses, camera) in enumerate(zip(frames, cameras)):
        if auto is None or camera != camera_before:
            auto, camera_before, resets_before = AutoPlane(fit), camera, 0
            stretches.append(Stretch(k, k))
        plane = auto.update(poses)
        if auto.reset_count != resets_before:  # the camera moved: what follows is another floor
            resets_before = auto.reset_count
            stretches.append(Stretch(k, k))
        s = stretches[-1]
        s.stop = k + 1
        if plane is not None:
            s.plane, s.height_sigma_m, s.tilt_sigma_deg = plane, auto.height_sigma_m, auto.tilt_sigma_deg
            s.description, s.people, s.camera = _describe(plane, auto), auto.num_people, camera
    for s in stretches:
        s.description = s.description or "no floor trusted (DRM's depth kept)"
    return stretches


def floor_pass(frames: list[PoseSet], cameras: list[Camera], settings: RefineSettings = RefineSettings(),
               fit: FitSettings = FitSettings()) -> OfflinePass:
    """Learn the floor from all frames, then refine each frame with its stretch's final floor."""
    if len(frames) != len(cameras):
        raise ValueError(f"floor pass: {len(frames)} frames but {len(cameras)} cameras")
    stretches = learn_floors(frames, cameras, replace(fit, ankle_height_m=settings.ankle_height_m))
    poses, results = [], []
    totals = {"no_feet": 0, "gated": 0, "refined": 0, "frames_plane_rejected": 0}
    for s in stretches:
        if s.plane is None:
            ground = GroundDepth("off", settings=settings)
        else:  # a learnt floor is as certain as its fit says (never more than a measured one), as online
            known = replace(settings, plane_height_sigma_m=max(settings.plane_height_sigma_m, s.height_sigma_m),
                            plane_tilt_sigma_deg=max(settings.plane_tilt_sigma_deg, s.tilt_sigma_deg))
            ground = GroundDepth("fixed", s.plane, known)
        for k in range(s.start, s.stop):
            result = ground.apply(frames[k], cameras[k])
            poses.append(result.poses)
            results.append(result)
        for key in totals:
            totals[key] += ground.totals[key]
    return OfflinePass(poses, results, stretches, totals)


def refine_recording(frames: list[PoseSet], cameras: list[Camera], settings: RefineSettings = RefineSettings(),
                     fit: FitSettings = FitSettings(), filter_alpha: float = SMOOTHER_ALPHA,
                     filter_beta: float = SMOOTHER_BETA, both_ways: bool = True) -> OfflinePass:
    """What the node does after DRM, done with the hindsight of the whole recording: the floor pass,
    then per track the depth filter run both ways (depth_smoother.py; `both_ways=False`: forwards
    only, as the node runs it; alpha 1.0: none). Needs the tracker's ids, so the node must have run
    with its floor and its own depth filter off."""
    out = floor_pass(frames, cameras, settings, fit)
    if filter_alpha < 1.0 and both_ways:
        out.poses = smooth_depths(out.poses, cameras, filter_alpha, filter_beta)
    elif filter_alpha < 1.0:
        depth_filter = DepthFilter(filter_alpha, filter_beta)
        out.poses = [depth_filter.update(p, c) for p, c in zip(out.poses, cameras)]
    return out


def _describe(plane: GroundPlane, auto: AutoPlane) -> str:
    return (f"camera {plane.height:.2f} m above the floor, pitch {plane.pitch_deg:.1f} deg, roll {plane.roll_deg:.1f} deg, "
            f"+-{auto.tilt_sigma_deg:.1f} deg / +-{auto.height_sigma_m:.2f} m ({auto.num_points} points of "
            f"{auto.num_people} people)")
