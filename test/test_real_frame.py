"""The converted MoveNet 2D branch, inside our network and decoder, finds the pedestrians of a real
frame (vtest.avi frame 300: 6 people, 768x576; EXPERIMENTS.md found 6/6 at full resolution)."""
import cv2
import numpy as np
import pytest

from drm_ros.camera import Camera
from drm_ros.inference import PoseEstimator
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet

# Box centres (u, v) of the six pedestrians in test/fixtures/vtest_frame300.jpg, checked by eye on
# an overlay of the detections: each decoded person must land near a different one of them.
PEOPLE = np.array([[200, 196], [256, 190], [310, 194], [328, 252], [596, 196], [630, 196]])


@pytest.fixture(scope="module")
def frame(fixtures_dir):
    return cv2.cvtColor(cv2.imread(str(fixtures_dir / "vtest_frame300.jpg")), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def net():
    n = DRMNet()
    n.load_state_dict(load_state(), strict=False)
    return n.eval()


def test_finds_the_pedestrians_at_full_resolution(frame, net):
    poses = PoseEstimator(net, (768, 576), score_threshold=0.2).estimate(frame, Camera.default_for(768, 576))
    assert len(poses) >= 5
    centres = 0.5 * (poses.boxes[:, :2] + poses.boxes[:, 2:])
    dist = np.linalg.norm(centres[:, None] - PEOPLE[None], axis=-1)
    nearest = dist.argmin(1)
    # every detection is one of the pedestrians (no false positives), and they are distinct
    assert (dist.min(1) < 25).all(), dist.min(1)
    assert len(set(nearest.tolist())) == len(poses)
    # 2D joints come back in original-image pixels
    assert (poses.joints2d[..., 0] >= -20).all() and (poses.joints2d[..., 0] <= 788).all()


def test_smaller_input_finds_fewer_but_no_ghosts(frame, net):
    poses = PoseEstimator(net, (384, 288), score_threshold=0.2).estimate(frame, Camera.default_for(768, 576))
    assert 2 <= len(poses) <= 6
