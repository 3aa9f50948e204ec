"""The equidistant (ROS fisheye) camera model (issue 16): exact projection and unprojection,
agreement with OpenCV's cv2.fisheye, and camera_info handling."""
import cv2
import numpy as np
import pytest

from drm_ros.camera import Camera

# A wide robot fisheye (coefficients of the size real calibrations give) and the ideal lens.
LENSES = [(-0.013, 0.0021, -0.0009, 0.0001), (0.0, 0.0, 0.0, 0.0), (0.05, -0.01, 0.002, 0.0)]


def _cam(d):
    return Camera(1280, 800, 410.0, 409.0, 641.3, 398.7, "equidistant", d)


def _points(n=400, max_deg=85.0, seed=0):
    rng = np.random.default_rng(seed)
    theta = np.radians(rng.uniform(0, max_deg, n))
    phi = rng.uniform(-np.pi, np.pi, n)
    dist = rng.uniform(0.5, 12.0, n)
    return np.stack([np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)], 1) * dist[:, None]


@pytest.mark.parametrize("d", LENSES)
def test_projection_matches_opencv_fisheye(d):
    cam, pts = _cam(d), _points()
    ours = cam.project(pts)
    ref, _ = cv2.fisheye.projectPoints(pts.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), cam.K, np.array(d))
    np.testing.assert_allclose(ours, ref.reshape(-1, 2), atol=1e-6)


@pytest.mark.parametrize("d", LENSES)
def test_project_then_unproject_is_exact(d):
    cam, pts = _cam(d), _points()
    uv = cam.project(pts)
    rays = cam.rays(uv)
    np.testing.assert_allclose(rays, pts / np.linalg.norm(pts, axis=1, keepdims=True), atol=1e-12)
    np.testing.assert_allclose(cam.undistort_normalized(uv), pts[:, :2] / pts[:, 2:], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cam.backproject(uv, pts[:, 2]), pts, rtol=1e-9, atol=1e-9)


def test_rays_beyond_90_degrees():
    """A 200-degree lens sees behind its own image plane: rays, not x/z, describe those pixels."""
    cam = _cam((0.0, 0.0, 0.0, 0.0))
    pts = _points(max_deg=100.0, seed=1)
    uv = cam.project(pts)
    np.testing.assert_allclose(cam.rays(uv), pts / np.linalg.norm(pts, axis=1, keepdims=True), atol=1e-12)
    behind = pts[:, 2] <= 0
    assert behind.any() and np.isnan(cam.undistort_normalized(uv[behind])).all()


def test_zero_coefficients_stay_a_fisheye_and_camera_info_is_accepted():
    cam = Camera.from_camera_info(1280, 800, [410, 0, 640, 0, 410, 400, 0, 0, 1], [0, 0, 0, 0], "equidistant")
    assert cam.is_fisheye and cam.has_distortion
    # 60 degrees off axis: radius f * pi/3 on the fisheye, f * tan(60) on a pinhole
    uv = cam.project(np.array([np.sin(np.pi / 3), 0.0, np.cos(np.pi / 3)]))
    assert uv[0] - 640 == pytest.approx(410 * np.pi / 3)
    assert Camera.from_dict(cam.to_dict()) == cam


def test_binning_and_roi_keep_the_fisheye_exact():
    full = _cam(LENSES[0])
    binned = Camera.from_camera_info(1280, 800, full.K.reshape(-1), full.dist, "equidistant", 2, 2, (100, 60, 1000, 700))
    pts = _points(seed=3, max_deg=60)
    u_full = full.project(pts)
    np.testing.assert_allclose(binned.project(pts), (u_full - [100, 60]) / 2, atol=1e-9)
    np.testing.assert_allclose(binned.rays((u_full - [100, 60]) / 2), full.rays(u_full), atol=1e-12)


def test_depth_scale():
    fish = Camera(640, 480, 300, 300, 320, 240, "equidistant", (0, 0, 0, 0))
    pin = Camera(640, 480, 300, 300, 320, 240)
    centre, rim = [320.0, 240.0], [320 + 300 * np.pi / 3, 240.0]  # on axis; 60 degrees off axis
    assert fish.depth_scale(np.array(centre)) == pytest.approx(1.0)
    # magnification radial 1 x tangential (pi/3)/sin(60) relative to on axis, times cos(60)
    assert fish.depth_scale(np.array(rim)) == pytest.approx(np.sqrt((np.pi / 3) / np.sin(np.pi / 3)) * 0.5)
    assert pin.depth_scale(np.array([rim, centre])).tolist() == [1.0, 1.0]


def test_calibration_folding_back_is_read_up_to_the_fold():
    cam = _cam((-0.3, 0.0, 0.0, 0.0))  # theta_d stops growing at theta = 1/sqrt(0.9): 60.4 degrees
    inside = _points(max_deg=55.0, seed=4)
    np.testing.assert_allclose(cam.rays(cam.project(inside)), inside / np.linalg.norm(inside, axis=1, keepdims=True),
                               atol=1e-9)
    far = cam.rays(np.array([[1280.0, 400.0]]))  # past the fold: the ray at the fold, finite
    assert np.all(np.isfinite(far)) and np.degrees(np.arccos(far[0, 2])) == pytest.approx(60.4, abs=0.3)


def test_fisheye_camera_info_message_is_accepted():
    """The node's conversion of a real sensor_msgs/CameraInfo: 'equidistant' used to be refused."""
    from sensor_msgs.msg import CameraInfo

    from drm_ros.ros.conversions import camera_from_info

    msg = CameraInfo(width=848, height=800, distortion_model="equidistant")
    msg.k = [286.2, 0.0, 421.9, 0.0, 286.4, 401.5, 0.0, 0.0, 1.0]  # a tracking camera's fisheye
    msg.d = [-0.0059, 0.0437, -0.0416, 0.0078]
    cam = camera_from_info(msg)
    assert cam.is_fisheye and cam.dist == tuple(msg.d)
    pts = _points(max_deg=80.0, seed=5)
    np.testing.assert_allclose(cam.rays(cam.project(pts)), pts / np.linalg.norm(pts, axis=1, keepdims=True), atol=1e-12)
