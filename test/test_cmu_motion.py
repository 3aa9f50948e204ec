"""The CMU motion asset: same conventions as the DeepMimic one (chirality, heights, layout),
loadable through MotionLibrary next to the DeepMimic clips, held-out list consistent."""
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from drm_ros.synth import motion_checks as checks
from drm_ros.synth.motion import (ASSET, ASSETS, CLIP_LIST, CMU_ASSET, DEEPMIMIC_EXTRA_ASSET, MotionLibrary, held_out_clips,
                                  rig_factor, training_points)

CONFIG_DIR = Path(__file__).resolve().parents[1] / "config" / "synth"


@pytest.fixture(scope="module")
def cmu():
    return MotionLibrary(path=CMU_ASSET)


@pytest.fixture(scope="module")
def deepmimic():
    return MotionLibrary()


@pytest.fixture(scope="module")
def deepmimic_extra():
    return MotionLibrary(path=DEEPMIMIC_EXTRA_ASSET)


def test_default_library_is_still_the_deepmimic_clips(deepmimic, cmu):
    assert len(deepmimic.clips) == 15 and "walk" in deepmimic.clips
    assert len(cmu.clips) >= 28 and all(c.startswith("cmu_") for c in cmu.clips)


def test_named_clips_mix_both_assets():
    lib = MotionLibrary(["walk", "cmu_02_01"])
    assert lib.clips == ["walk", "cmu_02_01"]
    assert lib.points["cmu_02_01"].shape[1:] == (18, 3) and lib.head_rot["cmu_02_01"].shape[1:] == (3, 3)
    assert lib.dt["cmu_02_01"] == pytest.approx(1 / 30, rel=1e-3)
    with pytest.raises(ValueError, match="unknown motion clips"):
        MotionLibrary(["cmu_99_99"])


@pytest.mark.parametrize("asset", ["deepmimic", "deepmimic_extra", "cmu"])
def test_left_is_left_and_knees_bend_forward(asset, request):
    """Toes forward of the ankles and bent knees forward of the hip-ankle line in the body frame
    built from the LEFT-minus-RIGHT hip axis; a mirrored copy of the same data must fail."""
    lib = request.getfixturevalue(asset)
    toes, knees, mirrored = [], [], []
    for c in lib.clips:
        ch = checks.chirality(lib.points[c])
        if ch["bent_knees"] >= 10:
            toes.append(ch["toes_forward"]); knees.append(ch["knees_forward"])
            mirrored.append(checks.chirality(lib.points[c] * [1.0, -1.0, 1.0])["knees_forward"])
    assert len(knees) >= 8
    assert min(knees) > 0.85 and np.median(knees) > 0.98
    assert min(toes) > 0.65 and np.median(toes) > 0.95
    assert max(mirrored) < 0.15  # the check can tell a mirrored skeleton apart


@pytest.mark.parametrize("asset", ["deepmimic", "deepmimic_extra", "cmu"])
def test_head_frame_is_proper_and_faces_the_body_forward(asset, request):
    lib = request.getfixturevalue(asset)
    for c in lib.clips:
        r = lib.head_rot[c]
        assert np.abs(np.linalg.det(r) - 1).max() < 0.01, c  # a rotation, not a reflection
        assert np.abs(np.cross(r[:, :, 0], r[:, :, 1]) - r[:, :, 2]).max() < 0.01, c  # right = forward x up
        share = checks.head_agrees(lib.points[c], r)
        assert np.isnan(share) or share > 0.9, c


def test_cmu_people_are_adult_sized_and_on_the_floor(cmu, deepmimic):
    heads = [checks.standing_head_height(cmu.points[c]) for c in cmu.clips]
    heads = [h for h in heads if not np.isnan(h)]
    assert len(heads) >= 0.8 * len(cmu.clips)
    assert 1.30 < min(heads) and max(heads) < 1.70  # head centre at the DeepMimic size (1.47); stature ~ +0.1 m
    for c in cmu.clips:
        feet = cmu.points[c][:, checks.FEET, 2]
        assert abs(feet.min()) < 0.002, c  # lowest foot point of the clip on z = 0
    # limb lengths within 30 % of DeepMimic's (different people; the spine, neck and toe points
    # are defined differently per rig, so they are checked by where the head ends up instead)
    dm = checks.bone_lengths(np.concatenate([deepmimic.points[c] for c in deepmimic.clips]))
    trunk = ("chest", "neck", "head", "left_toe", "right_toe")
    for c in cmu.clips[::3]:
        for bone, length in checks.bone_lengths(cmu.points[c]).items():
            assert 0.7 * dm[bone] < length < 1.3 * dm[bone] or bone in trunk, (c, bone)
        assert 0.10 < checks.head_above_shoulders(cmu.points[c]) < 0.22, c
    assert 0.10 < checks.head_above_shoulders(np.concatenate([deepmimic.points[c] for c in deepmimic.clips])) < 0.22


def test_every_rig_is_brought_to_the_deepmimic_size(cmu, deepmimic):
    """A drawn stature must be the stature a person gets, whichever clip poses it: CMU rigs are
    scaled to the DeepMimic body's bone chain; DeepMimic clips are served exactly as stored."""
    stored = np.load(CMU_ASSET)
    factors = [rig_factor(stored[f"{c}/points"].astype(np.float64)) for c in cmu.clips]
    assert min(factors) < 0.9 and max(factors) < 0.98  # the stored CMU subjects are 3-13 % larger
    assert all(rig_factor(cmu.points[c]) == 1.0 for c in cmu.clips)  # served at the DeepMimic size
    assert np.array_equal(deepmimic.points["walk"], np.load(ASSET)["walk/points"].astype(np.float64))
    assert np.allclose(training_points()["cmu_05_01"], cmu.points["cmu_05_01"], atol=1e-5)
    heads = {name: np.nanmedian([checks.standing_head_height(lib.points[c]) for c in lib.clips])
             for name, lib in (("cmu", cmu), ("deepmimic", deepmimic))}
    assert abs(heads["cmu"] / heads["deepmimic"] - 1) < 0.05  # 1.63 vs 1.47 m before (+11 %)


def test_held_out_clips_are_listed_and_not_trained_on():
    held = held_out_clips()
    test_cfg = yaml.safe_load((CONFIG_DIR / "test.yaml").read_text())["clips"]
    assert held & set(MotionLibrary().clips) == set(test_cfg)
    everything = set(MotionLibrary(path=ASSETS).clips)  # clip names are unique across assets
    # clips.json lists the opt-in exp-map corpus too (never held out; its own test checks it)
    listed = set(json.loads(CLIP_LIST.read_text())["clips"])
    assert held <= everything and {c for c in listed if not c.startswith("cmux_")} == everything
    cmu_held = {c for c in held if c.startswith("cmu_")}
    cmu_all = MotionLibrary(path=CMU_ASSET).clips
    assert cmu_held <= set(cmu_all) and 0.1 <= len(cmu_held) / len(cmu_all) <= 0.25
    train = training_points()
    assert not held & set(train) and {"walk", "jog", "cmu_02_01"} <= set(train)
    assert all(v.shape[1:] == (18, 3) and v.dtype == np.float32 for v in train.values())
    assert ASSET.exists()


@pytest.mark.parametrize("asset", ["deepmimic", "deepmimic_extra", "cmu"])
def test_no_capture_glitches(asset, request):
    """No joint teleports between frames (CMU has held/zeroed data gaps ending in ~1 m jumps and
    some BVH files a prepended rest pose; tools/extract_cmu.py cuts them away)."""
    lib = request.getfixturevalue(asset)
    for c in lib.clips:
        p = lib.points[c]
        joints = np.linalg.norm(np.diff(p - p[:, :1], axis=0), axis=2).max() / lib.dt[c]
        root = np.linalg.norm(np.diff(p[:, 0], axis=0), axis=1).max() / lib.dt[c]
        assert joints < 20 and root < 12, (c, joints, root)


def test_sequence_configs_use_looping_clips_only():
    """MotionLibrary.frame(loop=True) treats the last frame as the first of the next cycle, which
    holds only for clips flagged `loops` in clips.json (not the CMU or long DeepMimic clips)."""
    listing = json.loads(CLIP_LIST.read_text())["clips"]
    for name in ("default.yaml", "sequence.yaml"):
        seq = yaml.safe_load((CONFIG_DIR / name).read_text()).get("sequence") or {}
        assert seq.get("clips") and all(listing[c]["loops"] for c in seq["clips"]), name
    assert not any(e["loops"] for c, e in listing.items() if c.startswith("cmu_"))
