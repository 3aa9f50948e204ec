"""More than one look at an image, with the one network: the passes of `--passes`.

    single  one pass over the whole image at the estimator's input size (the default before).
    zoom    the whole-image pass, then up to `max_zooms` crops around the people that pass was
            unsure of (score between `zoom_min_score` and the threshold), seen again at up to
            ZOOM_MAX_UPSCALE times the first pass's scale. Cheap: one small extra pass per doubt.
    tiles   the whole-image pass, then overlapping tiles at twice its scale (at most the image's
            native resolution): small people everywhere, at several times the cost.

With `fisheye_views`, a wide equidistant (fisheye) camera is seen instead through perspective
views (drm_ros/fisheye_views.py; INFERRED, ours): a pinhole view around the optical axis and one
turned towards each side of the image the lens reaches far beyond it. Any other camera keeps the
passes above.

Each crop is a crop of the same camera (`Camera.crop` moves the principal point), so a person
seen in a tile lifts to the same 3D rays as in the full frame; 2D results are shifted back into
the full image. Duplicates across passes are merged by 2D object keypoint similarity (OKS).
People cut by a crop's inner edge are dropped from that crop: the overlap or the first pass
holds them whole.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from drm_ros.camera import Camera
from drm_ros.fisheye_views import View, pinhole, turn
from drm_ros.poses import PoseSet
from drm_ros.skeleton import NUM_COCO_JOINTS, ROOT

PASSES = ("single", "zoom", "tiles")
ZOOM_INPUT = (192, 256)  # portrait: most doubtful people stand; multiples of 32
ZOOM_MAX_UPSCALE = 2.0  # a zoom crop is seen at most this many times finer than the first pass
TILE_OVERLAP = 0.25  # fraction of a tile shared with its neighbour
# COCO keypoint OKS constants (per-joint spread of human annotations), in skeleton order
COCO_SIGMAS = np.array([.026, .025, .025, .035, .035, .079, .079, .072, .072, .062, .062, .107, .107, .087, .087,
                        .089, .089])
DUPLICATE_OKS = 0.5  # two people this similar in 2D are one person seen twice
# Two views draw one person differently enough (one view cuts or bends a limb) that OKS misses
# most duplicates between views (seen while developing: of 18 unmatched extra people on 60 fisheye
# scenes, 17 had a pelvis within 15 px of another person's); between views the pelvis decides too
# (37 unmatched people on 142 scenes with OKS alone in a development run, 2 with the pelvis rule:
# model/logs/fisheye/view_plans_test.log).
DUPLICATE_PELVIS = 0.2  # pelvises closer than this x the taller box's height: one person
# Perspective views of a wide lens (INFERRED, ours; measured in model/logs/fisheye/view_plans_*.log)
WIDE_LENS_DEG = 50.0  # a lens reaching further than this off axis, horizontally, is seen through views
# Chosen on model/logs/fisheye/view_plans_test.log (142 scenes; 50 -> 40 degrees found 76 instead of
# 56 % within 20 degrees: a narrower view draws people bigger), held on a second seed (_heldout).
VIEW_CENTRE_HALF_FOV = 40.0  # the centre view (horizontal half field of view), at the estimator's input size
VIEW_SIDE_HALF_FOV = 30.0  # a side view: portrait, 60 x 77 degrees, at VIEW_SIDE_INPUT
# 256 px across 60 degrees is about the centre view's scale (f 222 vs 229 px at 384x288): 192x256
# drew rim people at 3/4 of it and read their depth worse (model/logs/fisheye/view_sides_*.log:
# AP_root 13.4 -> 14.5 and 15.0 -> 15.6 %, for ~2.6 instead of ~1.9 passes' pixels)
VIEW_SIDE_INPUT = (256, 352)
VIEW_SIDE_PITCH = 10.0  # side views look this much down: people near a camera above them are seen low
#                         at the rim (the missed rim people sat in the lower corners)
VIEW_RIM_MARGIN = 5.0  # a side view reaches this far past the image's edge, so rim people sit inside it


@dataclass(frozen=True)
class Crop:
    """A region of the image (pixels [x0, x0 + width) x [y0, y0 + height)) and the network input it is seen at."""

    x0: int
    y0: int
    width: int
    height: int
    input_size: tuple[int, int]


def shift_poses(poses: PoseSet, dx: float, dy: float) -> PoseSet:
    """2D of a crop's people in the full image's pixels (3D is already in the shared camera frame)."""
    return replace(poses, joints2d=poses.joints2d + [dx, dy], boxes=poses.boxes + [dx, dy, dx, dy])


def concat(sets: list[PoseSet]) -> PoseSet:
    sets = [s for s in sets if len(s)]
    if not sets:
        return PoseSet.empty()
    return PoseSet(*(np.concatenate([getattr(s, f) for s in sets]) for f in
                     ("scores", "boxes", "roots", "joints3d", "joints2d", "joint_scores", "ids", "root_sigma")))


def oks(a2d: np.ndarray, a_score: np.ndarray, b2d: np.ndarray, b_score: np.ndarray, min_score: float = 0.2) -> float:
    """2D similarity of two people (17 COCO joints each), over the joints both are sure of, with
    the larger person's box area as scale; 0 if they share fewer than 3 such joints."""
    both = (a_score[:NUM_COCO_JOINTS] >= min_score) & (b_score[:NUM_COCO_JOINTS] >= min_score)
    if both.sum() < 3:
        return 0.0
    area = max(float(np.prod(np.ptp(p[:NUM_COCO_JOINTS][both], axis=0).clip(min=1.0))) for p in (a2d, b2d))
    d2 = ((a2d[:NUM_COCO_JOINTS] - b2d[:NUM_COCO_JOINTS]) ** 2).sum(-1)[both]
    return float(np.mean(np.exp(-d2 / (2 * area * (2 * COCO_SIGMAS[both]) ** 2))))


def merge_duplicates(poses: PoseSet, threshold: float = DUPLICATE_OKS) -> PoseSet:
    """Keep the best-scored of every group of people more OKS-similar than `threshold`; sorted by score."""
    order = np.argsort(-poses.scores, kind="stable")
    kept: list[int] = []
    for i in order:
        if all(oks(poses.joints2d[i], poses.joint_scores[i], poses.joints2d[k], poses.joint_scores[k]) <= threshold
               for k in kept):
            kept.append(int(i))
    return poses.select(np.array(kept, dtype=np.int64))


def merge_views(sets: list[PoseSet], threshold: float = DUPLICATE_OKS, pelvis: float = DUPLICATE_PELVIS,
                priority: np.ndarray | None = None, with_source: bool = False):
    """Like merge_duplicates over the people of several views (in the real image's pixels), where
    two people from different views are also one person when their pelvises nearly coincide
    (within one view the network has already told neighbours apart). Of one person seen twice the
    best-scored reading is kept (or the highest `priority`, one value per person of the
    concatenated sets: tools/fisheye_view_roots.py measured other rules); sorted by score. With
    `with_source`, also the index of the set each kept person came from."""
    poses = concat(sets)
    source = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets) if len(s)] or [np.zeros(0, int)])
    height = poses.boxes[:, 3] - poses.boxes[:, 1]
    order = np.argsort(-(poses.scores if priority is None else np.asarray(priority)), kind="stable")
    kept: list[int] = []
    for i in order:
        def same(k: int) -> bool:
            if source[i] != source[k] and np.linalg.norm(poses.joints2d[i, ROOT] - poses.joints2d[k, ROOT]) \
                    < pelvis * max(height[i], height[k]):
                return True
            return oks(poses.joints2d[i], poses.joint_scores[i], poses.joints2d[k], poses.joint_scores[k]) > threshold
        if not any(same(k) for k in kept):
            kept.append(int(i))
    kept_idx = np.array(sorted(kept, key=lambda k: -poses.scores[k]), dtype=np.int64)
    return (poses.select(kept_idx), source[kept_idx]) if with_source else poses.select(kept_idx)


def _clear_of_edges(poses: PoseSet, width: int, height: int, inner: tuple[bool, bool, bool, bool],
                    min_score: float = 0.2, margin: float = 2.0) -> np.ndarray:
    """Mask of people (in the pixels of a width x height crop or view) not touching one of its
    `inner` edges (left, top, right, bottom): edges that cut the image rather than end it."""
    if not len(poses):
        return np.zeros(0, dtype=bool)
    uv = poses.joints2d[:, :NUM_COCO_JOINTS]
    sure = poses.joint_scores[:, :NUM_COCO_JOINTS] >= min_score
    sure[~sure.any(1)] = True
    lo = np.where(sure[..., None], uv, np.inf).min(1)
    hi = np.where(sure[..., None], uv, -np.inf).max(1)
    ok = np.ones(len(poses), dtype=bool)
    left, top, right, bottom = inner
    if left:
        ok &= lo[:, 0] > margin
    if top:
        ok &= lo[:, 1] > margin
    if right:
        ok &= hi[:, 0] < width - 1 - margin
    if bottom:
        ok &= hi[:, 1] < height - 1 - margin
    return ok


def _inside_crop(poses: PoseSet, crop: Crop, image_w: int, image_h: int) -> np.ndarray:
    """Mask of a crop's people (in crop pixels) not touching an edge of the crop that lies inside the image."""
    inner = (crop.x0 > 0, crop.y0 > 0, crop.x0 + crop.width < image_w, crop.y0 + crop.height < image_h)
    return _clear_of_edges(poses, crop.width, crop.height, inner)


def tile_grid(image_w: int, image_h: int, tile_w: int, tile_h: int, overlap: float = TILE_OVERLAP) -> list[tuple[int, int, int, int]]:
    """Overlapping tiles (x0, y0, w, h) of at most tile_w x tile_h covering the image, evenly spread."""
    def starts(size: int, tile: int) -> list[int]:
        if tile >= size:
            return [0]
        n = math.ceil((size - tile * overlap) / (tile * (1 - overlap)))
        return [round(i * (size - tile) / (n - 1)) for i in range(n)] if n > 1 else [0]

    tw, th = min(tile_w, image_w), min(tile_h, image_h)
    return [(x, y, tw, th) for y in starts(image_h, th) for x in starts(image_w, tw)]


def first_pass_scale(image_w: int, image_h: int, input_size: tuple[int, int]) -> float:
    return min(input_size[0] / image_w, input_size[1] / image_h)


def plan_tiles(image_w: int, image_h: int, input_size: tuple[int, int]) -> list[Crop]:
    """Tiles at twice the first pass's scale (at most native); none if the image holds no more detail."""
    scale = min(1.0, 2 * first_pass_scale(image_w, image_h, input_size))
    if scale <= first_pass_scale(image_w, image_h, input_size) * 1.25:
        return []
    tw, th = round(input_size[0] / scale), round(input_size[1] / scale)
    return [Crop(x, y, w, h, input_size) for x, y, w, h in tile_grid(image_w, image_h, tw, th)]


def plan_zooms(doubtful: PoseSet, image_w: int, image_h: int, input_size: tuple[int, int], max_zooms: int,
               zoom_input: tuple[int, int] = ZOOM_INPUT) -> list[Crop]:
    """One portrait crop (seen at `zoom_input`) around each of the `max_zooms` best doubtful
    people, sized so the person fills about 60 % of its height, no finer than ZOOM_MAX_UPSCALE x
    the first pass; people already inside a planned crop's middle share it."""
    zw, zh = zoom_input
    finest = ZOOM_MAX_UPSCALE * first_pass_scale(image_w, image_h, input_size)
    crops: list[Crop] = []
    for i in np.argsort(-doubtful.scores, kind="stable"):
        if len(crops) >= max_zooms:
            break
        u0, v0, u1, v1 = doubtful.boxes[i]
        cu, cv = (u0 + u1) / 2, (v0 + v1) / 2
        if any(abs(cu - (c.x0 + c.width / 2)) < c.width / 4 and abs(cv - (c.y0 + c.height / 2)) < c.height / 4
               for c in crops):
            continue
        h = max(1.6 * (v1 - v0), 1.6 * (u1 - u0) * zh / zw, zh / finest)
        h = min(h, image_h, image_w * zh / zw)
        w = h * zw / zh
        x0 = int(round(min(max(cu - w / 2, 0), image_w - w)))
        y0 = int(round(min(max(cv - h / 2, 0), image_h - h)))
        crops.append(Crop(x0, y0, min(int(round(w)), image_w - x0), min(int(round(h)), image_h - y0), zoom_input))
    return crops


def lens_reach(camera: Camera) -> tuple[float, float]:
    """Degrees off axis of the image's left and right edges, on the principal point's row."""
    rays = camera.rays(np.array([[0.0, camera.cy], [camera.width - 1.0, camera.cy]]))
    return tuple(float(np.degrees(np.arccos(np.clip(r[2], -1, 1)))) for r in rays)


def plan_views(camera: Camera, input_size: tuple[int, int], centre_half_fov: float = VIEW_CENTRE_HALF_FOV,
               side_half_fov: float = VIEW_SIDE_HALF_FOV, side_pitch: float = VIEW_SIDE_PITCH,
               side_input: tuple[int, int] = VIEW_SIDE_INPUT, centre: bool = True) -> list[View]:
    """The perspective views a wide fisheye is seen through: the centre view at the estimator's
    input size, plus a portrait side view turned towards each side the lens reaches more than
    VIEW_RIM_MARGIN beyond the centre view, reaching VIEW_RIM_MARGIN past that side's edge; none
    for any other camera, or a fisheye no wider than WIDE_LENS_DEG. (The keywords are for
    tools/fisheye_view_plans.py, which measured the defaults.)"""
    if not camera.is_fisheye:
        return []
    left, right = lens_reach(camera)
    if max(left, right) <= WIDE_LENS_DEG:
        return []
    views = [View.make(pinhole(*input_size, min(centre_half_fov, max(left, right))), np.eye(3))] if centre else []
    for sign, reach in ((-1.0, left), (1.0, right)):
        if reach > centre_half_fov + VIEW_RIM_MARGIN:
            yaw = reach + VIEW_RIM_MARGIN - side_half_fov
            views.append(View.make(pinhole(*side_input, side_half_fov), turn(sign * yaw, side_pitch)))
    return views


@contextmanager
def _settings(estimator, **values):
    """Temporarily change estimator attributes (input size, threshold) for one pass; the estimator
    keeps one traced network per input size, so switching sizes costs nothing after the first."""
    old = {k: getattr(estimator, k) for k in values}
    try:
        for k, v in values.items():
            setattr(estimator, k, v)
        yield estimator
    finally:
        for k, v in old.items():
            setattr(estimator, k, v)


def estimate_crop(estimator, image: np.ndarray, camera: Camera, crop: Crop) -> PoseSet:
    """People found in one crop, in full-image pixels and the shared camera frame."""
    tile = np.ascontiguousarray(image[crop.y0:crop.y0 + crop.height, crop.x0:crop.x0 + crop.width])
    with _settings(estimator, input_size=crop.input_size):
        found = estimator.estimate(tile, camera.crop(crop.x0, crop.y0, crop.width, crop.height))
    found = found.select(_inside_crop(found, crop, camera.width, camera.height))
    return shift_poses(found, crop.x0, crop.y0)


def estimate_view(estimator, image: np.ndarray, camera: Camera, view: View) -> PoseSet:
    """People found in one perspective view, in the real image's pixels and camera frame; people
    cut by an edge of the view that lies inside the image are left to the view that holds them."""
    size = (view.camera.width, view.camera.height)
    with _settings(estimator, input_size=size):
        found = estimator.estimate(view.render(image, camera), view.camera)
    found = found.select(_clear_of_edges(found, *size, view.inner_edges(camera)))
    return view.poses_to_camera(found, camera)


def plan(passes: str, first: PoseSet, threshold: float, image_w: int, image_h: int, input_size: tuple[int, int],
         max_zooms: int) -> list[Crop]:
    if passes == "zoom":
        return plan_zooms(first.select(first.scores < threshold), image_w, image_h, input_size, max_zooms)
    if passes == "tiles":
        return plan_tiles(image_w, image_h, input_size)
    return []


def estimate_passes(estimator, image: np.ndarray, camera: Camera, passes: str = "single", max_zooms: int = 2,
                    zoom_min_score: float = 0.05, fisheye_views: bool = False) -> PoseSet:
    """The people of `image` by the chosen passes (or, for a wide fisheye with `fisheye_views`,
    its perspective views), duplicates merged, sorted by score."""
    if passes not in PASSES:
        raise ValueError(f"passes must be one of {', '.join(PASSES)}, got {passes!r}")
    views = plan_views(camera, estimator.input_size) if fisheye_views else []
    if views:
        return merge_views([estimate_view(estimator, image, camera, v) for v in views])
    threshold = estimator.score_threshold
    if passes == "single":
        return estimator.estimate(image, camera)
    low = min(threshold, zoom_min_score) if passes == "zoom" else threshold
    with _settings(estimator, score_threshold=low):
        first = estimator.estimate(image, camera)
    crops = plan(passes, first, threshold, camera.width, camera.height, estimator.input_size, max_zooms)
    found = [first.select(first.scores >= threshold)] + [estimate_crop(estimator, image, camera, c) for c in crops]
    return merge_duplicates(concat(found))


class MultiPassEstimator:
    """`estimate(image, camera)` by several passes of one PoseEstimator (for `drm eval`, `drm infer`
    and the benchmarks, which take any object with that method)."""

    def __init__(self, estimator, passes: str = "single", max_zooms: int = 2, exposure: str = "off",
                 fisheye_views: bool = False, dark_score_threshold: float | None = None):
        from drm_ros.exposure import EXPOSURE_MODES

        if passes not in PASSES:
            raise ValueError(f"passes must be one of {', '.join(PASSES)}, got {passes!r}")
        if exposure not in EXPOSURE_MODES:
            raise ValueError(f"exposure must be one of {', '.join(EXPOSURE_MODES)}, got {exposure!r}")
        self.estimator, self.passes, self.max_zooms, self.exposure = estimator, passes, max_zooms, exposure
        self.fisheye_views = bool(fisheye_views)
        self.dark_score_threshold = dark_score_threshold  # images `exposure` finds dark (None: the estimator's)

    @property
    def input_size(self):
        return self.estimator.input_size

    def estimate(self, image: np.ndarray, camera: Camera) -> PoseSet:
        from drm_ros.exposure import expose, score_threshold_for

        shown, dark = expose(image, self.exposure)
        threshold = score_threshold_for(self.estimator.score_threshold, self.dark_score_threshold, dark)
        with _settings(self.estimator, score_threshold=threshold):
            return estimate_passes(self.estimator, shown, camera, self.passes, self.max_zooms,
                                   fisheye_views=self.fisheye_views)
