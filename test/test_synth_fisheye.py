"""Fisheye synthetic scenes (issue 16): labels are the equidistant projection of the 3D joints,
the rim past the image circle is black and unlabelled, and `fisheye_as_pinhole` renders the very
same scene through a pinhole camera with the same K."""
import numpy as np
import yaml

from drm_ros.synth.config import load_config
from drm_ros.synth.generate import make_frame
from drm_ros.synth.motion import MotionLibrary


def _cfg(tmp_path, **camera):
    path = tmp_path / "fish.yaml"
    path.write_text(yaml.safe_dump({"camera": {"fisheye_probability": 1.0, "fisheye_hfov_deg": [140, 150], **camera}}))
    return load_config(path)


def test_fisheye_frames_and_their_pinhole_twins(tmp_path):
    fish_cfg, pin_cfg = _cfg(tmp_path), _cfg(tmp_path, fisheye_as_pinhole=True)
    motion = MotionLibrary(fish_cfg["clips"])
    for index in range(3):
        fish, r = make_frame(fish_cfg, motion, 11, index, keep_ids=True)
        cam = fish.camera
        assert cam.distortion_model == "equidistant" and len(cam.dist) == 4
        np.testing.assert_allclose(cam.project(fish.joints3d), fish.joints2d, atol=1e-9)
        # corners of a 140-150 degree fisheye lie past the 80 degree image circle: black (plus sensor noise), no person
        corners = r.image[[0, 0, -1, -1], [0, -1, 0, -1]]
        assert (corners < 24).all() and (r.ids[[0, 0, -1, -1], [0, -1, 0, -1]] == -1).all()
        angle = np.degrees(np.arccos(fish.joints3d[..., 2] / np.linalg.norm(fish.joints3d, axis=-1)))
        assert not (fish.visible[angle > 80]).any()
        pin = make_frame(pin_cfg, motion, 11, index)
        assert pin.camera.distortion_model == "none" and np.allclose(pin.camera.K, cam.K)
        # same people: the pinhole's narrower view shows a subset of the fisheye's people, unchanged
        assert 0 < len(pin.joints3d) <= len(fish.joints3d)
        for person in pin.joints3d:
            assert np.min(np.abs(fish.joints3d - person).max(axis=(1, 2))) < 1e-9
