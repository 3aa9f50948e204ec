"""tools/extract_cmu_expmap.py (exp-map CMU corpus -> our points) and the opt-in asset it writes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import extract_cmu_expmap as x  # noqa: E402

from drm_ros.synth.motion import (ASSETS, CLIP_LIST, CMU_EXPMAP_ASSET, CORPUS2, P, MotionLibrary,  # noqa: E402
                                  held_out_clips, training_clips)

# A small skeleton in CMU's ASF layout (Y up, faces +z, left on +x): the bones our mapping reads.
ASF = """:units
  length 0.45
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
""" + "".join(f"""  begin
     name {name}
     direction {d}
     length {length}
     axis 0 0 0 XYZ
{"    dof rx ry rz" if dof else ""}
  end
""" for name, d, length, dof in [
    ("lhipjoint", "1 -1 0", 1.5, False), ("lfemur", "0 -1 0", 7.5, True), ("ltibia", "0 -1 0", 7.0, True),
    ("lfoot", "0 0 1", 2.0, True), ("ltoes", "0 0 1", 1.0, True),
    ("rhipjoint", "-1 -1 0", 1.5, False), ("rfemur", "0 -1 0", 7.5, True), ("rtibia", "0 -1 0", 7.0, True),
    ("rfoot", "0 0 1", 2.0, True), ("rtoes", "0 0 1", 1.0, True),
    ("lowerback", "0 1 0", 2.0, True), ("upperback", "0 1 0", 2.0, True), ("thorax", "0 1 0", 2.0, True),
    ("lowerneck", "0 1 0", 1.5, True), ("upperneck", "0 1 0", 1.5, True), ("head", "0 1 0", 1.5, True),
    ("lclavicle", "1 0 0", 3.0, True), ("lhumerus", "1 0 0", 5.0, True), ("lradius", "1 0 0", 3.0, True),
    ("lwrist", "1 0 0", 1.5, True), ("lhand", "1 0 0", 0.7, True), ("lfingers", "1 0 0", 0.5, True),
    ("lthumb", "1 0 1", 0.7, True),
    ("rclavicle", "-1 0 0", 3.0, True), ("rhumerus", "-1 0 0", 5.0, True), ("rradius", "-1 0 0", 3.0, True),
    ("rwrist", "-1 0 0", 1.5, True), ("rhand", "-1 0 0", 0.7, True), ("rfingers", "-1 0 0", 0.5, True),
    ("rthumb", "-1 0 1", 0.7, True)]) + """:hierarchy
  begin
    root lhipjoint rhipjoint lowerback
    lhipjoint lfemur
    lfemur ltibia
    ltibia lfoot
    lfoot ltoes
    rhipjoint rfemur
    rfemur rtibia
    rtibia rfoot
    rfoot rtoes
    lowerback upperback
    upperback thorax
    thorax lowerneck lclavicle rclavicle
    lowerneck upperneck
    upperneck head
    lclavicle lhumerus
    lhumerus lradius
    lradius lwrist
    lwrist lhand lthumb
    lhand lfingers
    rclavicle rhumerus
    rhumerus rradius
    rradius rwrist
    rwrist rhand rthumb
    rhand rfingers
  end
"""
M = 0.0254 / 0.45  # ASF unit -> metres


@pytest.fixture(scope="module")
def skel():
    return x.cmu.AsfSkeleton(ASF)


def frames(n: int = 1, pos=(0.0, 20.0, 0.0), **node_rot) -> np.ndarray:
    """(n, 117) exp-map frames: root position `pos` (CMU x, y, z), node rotations by bone name."""
    out = np.zeros((n, x.VALUES_PER_FRAME))
    out[:, :3] = pos
    for bone, r in node_rot.items():
        k = x.NODE_BONES.index(bone)
        out[:, 3 + 3 * k:6 + 3 * k] = r
    return out


def length(pts, a, b):
    return float(np.linalg.norm(pts[0, P[a]] - pts[0, P[b]]))


def test_zero_rotations_give_the_rest_skeleton(skel):
    pts, head = x.expmap_points(skel, frames())
    assert length(pts, "left_knee", "left_hip") == pytest.approx(7.5 * M)
    assert length(pts, "left_ankle", "left_knee") == pytest.approx(7.0 * M)
    # forearm = radius + wrist (the source's own table gives the wrist zero length; we keep it)
    assert length(pts, "left_wrist", "left_elbow") == pytest.approx(4.5 * M)
    # neck = upperneck start: lowerback + upperback + thorax + lowerneck above the root (thorax kept)
    assert pts[0, P["neck"], 2] - 20 * M == pytest.approx(7.5 * M)
    # our axes: Z up, faces +x, left on +y; head frame = forward, up, right at rest
    assert pts[0, P["left_hip"], 1] > pts[0, P["right_hip"], 1]
    assert pts[0, P["left_shoulder"], 1] > 0.1 and pts[0, P["right_shoulder"], 1] < -0.1
    assert pts[0, P["left_toe"], 0] > pts[0, P["left_ankle"], 0]  # toes forward (+x)
    np.testing.assert_allclose(head[0], [[1, 0, 0], [0, 0, -1], [0, 1, 0]], atol=1e-9)


def test_root_turn_turns_the_body(skel):
    # +90 deg about CMU's up axis (y) in the file's sign convention = -90 deg in ours: the body that
    # faced +z (our +x) now faces CMU's -x, which is our -y; its left is then our +x.
    pts, head = x.expmap_points(skel, frames(root=(0, np.pi / 2, 0)))
    toe = pts[0, P["left_toe"]] - pts[0, P["left_ankle"]]
    assert toe[1] < -0.9 * np.linalg.norm(toe)
    assert pts[0, P["left_hip"], 0] > pts[0, P["right_hip"], 0]
    np.testing.assert_allclose(head[0][:, 0], [0, -1, 0], atol=1e-9)


def test_knee_flexion_sign(skel):
    # the files store expm(-r): a NEGATIVE x rotation of the tibia in the file bends the knee so the
    # foot goes BEHIND the body (CMU's tibia rx flexion, as for an AMC file)
    pts, _ = x.expmap_points(skel, frames(ltibia=(-np.pi / 2, 0, 0)))
    shin = pts[0, P["left_ankle"]] - pts[0, P["left_knee"]]
    assert shin[0] < -0.9 * np.linalg.norm(shin)


def test_root_translation_is_x_y_z(skel):
    pts, _ = x.expmap_points(skel, frames(pos=(10.0, 20.0, 30.0)))
    base, _ = x.expmap_points(skel, frames(pos=(0.0, 20.0, 0.0)))
    np.testing.assert_allclose(pts[0, P["root"]] - base[0, P["root"]], [30 * M, 10 * M, 0], atol=1e-9)


def test_aligned_distance_finds_a_replay_not_a_different_motion(skel):
    t = np.linspace(0, 4 * np.pi, 60)
    walk = frames(60)
    walk[:, 3 + 3 * x.NODE_BONES.index("lfemur")] = 0.5 * np.sin(t)
    walk[:, 3 + 3 * x.NODE_BONES.index("rfemur")] = -0.5 * np.sin(t)
    other = walk.copy()
    other[:, 3 + 3 * x.NODE_BONES.index("lhumerus") + 2] = 1.0  # arm raised
    a = x.directions(x.expmap_points(skel, walk)[0])
    b = x.directions(x.expmap_points(skel, other)[0])
    assert x.aligned_distance(a[10:40], a, 15) < 1e-6
    assert np.degrees(x.aligned_distance(b, a, 15)) > 10


@pytest.mark.skipif(not CMU_EXPMAP_ASSET.exists(), reason="asset not generated")
def test_asset_is_opt_in_sane_and_never_held_out():
    lib = MotionLibrary(path=CMU_EXPMAP_ASSET)
    assert lib.clips and all(c.startswith("cmux_") for c in lib.clips)
    assert not set(lib.clips) & held_out_clips()
    assert CMU_EXPMAP_ASSET.stat().st_size <= 4 * 2 ** 20
    for c in lib.clips:
        pts = lib.points[c]
        assert lib.dt[c] == pytest.approx(1 / 30, rel=1e-6) and len(pts) >= 30
        feet = pts[:, [P["left_ankle"], P["right_ankle"], P["left_toe"], P["right_toe"]], 2]
        assert feet.min() == pytest.approx(0, abs=2e-3)
        assert 1.2 < np.median(pts[:, P["head"], 2].max()) < 2.0
    # opt-in: the default corpus does not see it, `all2`'s does
    assert CMU_EXPMAP_ASSET not in ASSETS and CMU_EXPMAP_ASSET in CORPUS2
    assert not any(c.startswith("cmux_") for c in training_clips())
    assert set(lib.clips) <= set(training_clips(CORPUS2))
    assert set(training_clips()) <= set(training_clips(CORPUS2))
    listing = json.loads(CLIP_LIST.read_text())["clips"]
    assert all(listing[c]["held_out"] is False for c in lib.clips)


@pytest.mark.skipif(not CMU_EXPMAP_ASSET.exists(), reason="asset not generated")
def test_lifter_motion_all2_includes_the_new_clips_and_all_does_not(monkeypatch):
    from drm_ros.synth import motion
    from drm_ros.training import lifting

    seen = {}
    real = motion.MotionLibrary

    def spy(clips=None, path=motion.ASSET):
        lib = real(clips, path)
        seen["clips"] = set(lib.clips)
        return lib

    monkeypatch.setattr(motion, "MotionLibrary", spy)
    lifting.sample_projected(2, "config/synth/train.yaml", 0, (384, 288), motion="all")
    assert not any(c.startswith("cmux_") for c in seen["clips"])
    lifting.sample_projected(2, "config/synth/train.yaml", 0, (384, 288), motion="all2")
    assert any(c.startswith("cmux_") for c in seen["clips"]) and not seen["clips"] & held_out_clips()
    # the cache key hashes the new asset for all2 only
    digest = __import__("hashlib").sha1(CMU_EXPMAP_ASSET.read_bytes()).hexdigest()
    assert digest in lifting.generator_inputs("config/synth/train.yaml", "all2")[-1]
    assert digest not in lifting.generator_inputs("config/synth/train.yaml", "all")[-1]
