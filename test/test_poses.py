"""PoseSet's JSON form (`drm infer --json`, `drm eval --json` predictions) reads back as it was written."""
import json

import numpy as np

from drm_ros.poses import PoseSet
from drm_ros.skeleton import NUM_JOINTS


def test_json_round_trip_keeps_every_array():
    rng = np.random.default_rng(0)
    n = 3
    poses = PoseSet(rng.random(n), rng.random((n, 4)) * 100, rng.random((n, 3)) * 5,
                    rng.random((n, NUM_JOINTS, 3)) * 5, rng.random((n, NUM_JOINTS, 2)) * 300, rng.random((n, NUM_JOINTS)))
    back = PoseSet.from_json_dict(json.loads(json.dumps(poses.to_json_dict())))
    assert len(back) == n
    for name in ("scores", "boxes", "roots"):
        assert np.allclose(getattr(back, name), getattr(poses, name)), name
    assert np.allclose(back.joints3d, poses.joints3d, atol=1e-4)  # written to 0.1 mm
    assert np.allclose(back.joints2d, poses.joints2d, atol=0.01)  # and 0.01 px
    assert np.allclose(back.joint_scores, poses.joint_scores, atol=1e-4)


def test_json_of_nobody_is_an_empty_set():
    back = PoseSet.from_json_dict(PoseSet.empty().to_json_dict())
    assert len(back) == 0 and back.joints3d.shape == (0, NUM_JOINTS, 3)
