"""Codec: hand-made maps decode to exactly the people put in; random people and cameras survive
encode -> maps -> decode -> 3D within 1 mm."""
import numpy as np
import pytest
import torch

from drm_ros.camera import Camera, Letterbox
from drm_ros.codec import STRIDE, decode_2d, depth_targets, encode, lift_to_3d, render_maps
from drm_ros.skeleton import JOINT_INDEX, NUM_JOINTS, ROOT, add_pelvis

# A standing person, pelvis-relative, metres, camera frame (y down): COCO-17 order.
TEMPLATE = np.array([
    [0, -0.62, -0.08], [-0.03, -0.66, -0.06], [0.03, -0.66, -0.06], [-0.07, -0.64, 0], [0.07, -0.64, 0],
    [-0.19, -0.45, 0], [0.19, -0.45, 0], [-0.24, -0.18, 0.02], [0.24, -0.18, 0.02], [-0.26, 0.06, -0.03],
    [0.26, 0.06, -0.03], [-0.11, 0, 0], [0.11, 0, 0], [-0.12, 0.43, 0.02], [0.12, 0.43, -0.02],
    [-0.12, 0.85, 0.05], [0.12, 0.85, 0.06],
]) * np.array([1, 1.8, 1])


def random_camera(rng) -> Camera:
    w, h = [(640, 480), (1280, 720), (480, 640), (752, 480)][rng.integers(4)]
    fx = rng.uniform(300, 2000) * w / 640
    fy = fx * rng.uniform(0.95, 1.05)
    cx, cy = w / 2 + rng.uniform(-0.1, 0.1) * w, h / 2 + rng.uniform(-0.1, 0.1) * h
    kind = rng.integers(3)
    if kind == 0:
        return Camera(w, h, fx, fy, cx, cy)
    if kind == 1:
        d = (rng.uniform(-0.25, 0.1), rng.uniform(-0.05, 0.05), rng.uniform(-1e-3, 1e-3), rng.uniform(-1e-3, 1e-3), 0.0)
        return Camera(w, h, fx, fy, cx, cy, "plumb_bob", d)
    d = (rng.uniform(-0.3, 0.1), rng.uniform(-0.05, 0.05), 0.0, 0.0, 0.0, rng.uniform(-0.1, 0.1), 0.0, 0.0)
    return Camera(w, h, fx, fy, cx, cy, "rational_polynomial", d)


def random_people(rng, camera: Camera, count: int) -> np.ndarray:
    """People side by side, fully inside the image, rotated about the vertical axis."""
    for _ in range(50):
        people = _people(rng, camera, count)
        uv = camera.project(people)
        if (uv > 2).all() and (uv[..., 0] < camera.width - 3).all() and (uv[..., 1] < camera.height - 3).all():
            return people
    raise AssertionError("could not place people inside the image")


def _people(rng, camera: Camera, count: int) -> np.ndarray:
    frac = rng.uniform(0.25, 0.6)  # body height as a fraction of the image height
    z = camera.fy * 1.8 / (frac * camera.height)
    people = []
    slots = np.linspace(-0.8, 0.8, count) if count > 1 else [0.0]
    for s in slots:
        a = rng.uniform(-np.pi, np.pi)
        rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
        body = TEMPLATE @ rot.T * rng.uniform(0.85, 1.1) + rng.normal(0, 0.01, TEMPLATE.shape)
        # pelvis so that the person spreads over its slot, with its own depth
        zp = z * rng.uniform(0.9, 1.1)
        x = (camera.cx + s * camera.width / 2 * 0.85 - camera.cx) / camera.fx * zp * 0.8
        y = (camera.cy + 0.1 * camera.height - camera.cy) / camera.fy * zp
        people.append(body + [x, y, zp])
    return add_pelvis(np.stack(people))


def roundtrip(camera: Camera, joints3d: np.ndarray, in_size=(384, 288)):
    box = Letterbox.fit(camera.width, camera.height, *in_size)
    uv = camera.project(joints3d)
    net_uv = torch.tensor(box.to_network(uv), dtype=torch.float32)[None]
    p = len(joints3d)
    grid = (in_size[1] // STRIDE, in_size[0] // STRIDE)
    targets = encode(net_uv, torch.ones(1, p, NUM_JOINTS), torch.ones(1, p), grid)
    maps = render_maps(targets)
    dec = decode_2d(maps["center"], maps["kpt_regress"], maps["kpt_heatmap"], maps["kpt_offset"], k=p + 4)
    score = dec["score"][0].numpy()
    keep = score > 0.5
    joints = dec["joints"][0].numpy()[keep]
    log_d, dz = depth_targets(joints3d, box.network_focal(camera))
    # match decoded people to ground truth by their 2D root
    root_net = box.to_network(uv[:, ROOT])
    dec_root = dec["root"][0].numpy()[keep]
    order = [int(np.argmin(np.linalg.norm(dec_root - r, axis=1))) for r in root_net]
    poses = lift_to_3d(joints[order], dec["joint_score"][0].numpy()[keep][order], score[keep][order], log_d, dz, box, camera)
    return poses, keep.sum()


def test_handmade_maps_decode_exactly():
    h, w = 24, 32
    center = torch.zeros(1, 1, h, w)
    regress = torch.zeros(1, 34, h, w)
    heat = torch.zeros(1, 17, h, w)
    offset = torch.zeros(1, 34, h, w)
    people = {(5, 10): 0.9, (20, 12): 0.7}  # (x, y) centre cell -> score
    for (cx, cy), s in people.items():
        center[0, 0, cy, cx] = s
        for j in range(17):
            dy, dx = (j % 5) - 2.0 + 0.25, (j % 3) - 1.0 - 0.5  # joint j regressed at centre + (dx, dy)
            regress[0, 2 * j, cy, cx], regress[0, 2 * j + 1, cy, cx] = dy, dx
            jx, jy = cx + dx, cy + dy
            heat[0, j, int(np.floor(jy)), int(np.floor(jx))] = 0.8
            offset[0, 2 * j, int(np.floor(jy)), int(np.floor(jx))] = jy - np.floor(jy)
            offset[0, 2 * j + 1, int(np.floor(jy)), int(np.floor(jx))] = jx - np.floor(jx)
    dec = decode_2d(center, regress, heat, offset, k=4)
    cs = dec["center_score"][0]
    assert cs[:2].tolist() == pytest.approx([0.9, 0.7]) and cs[2:].max() == 0
    for n, ((cx, cy), _) in enumerate(people.items()):
        for j in range(17):
            dy, dx = (j % 5) - 2.0 + 0.25, (j % 3) - 1.0 - 0.5
            expect = np.array([(cx + dx) * STRIDE - 0.5, (cy + dy) * STRIDE - 0.5])
            np.testing.assert_allclose(dec["joints"][0, n, j].numpy(), expect, atol=1e-5)
    assert dec["joint_score"][0, :2].numpy() == pytest.approx(0.8)


@pytest.mark.parametrize("seed", range(12))
def test_random_people_and_cameras_roundtrip_within_1mm(seed):
    rng = np.random.default_rng(seed)
    camera = random_camera(rng)
    people = random_people(rng, camera, int(rng.integers(1, 4)))
    in_size = [(384, 288), (256, 256), (320, 256)][seed % 3]
    poses, found = roundtrip(camera, people, in_size)
    assert found == len(people)
    err = np.abs(poses.joints3d - people).max()
    assert err < 1e-3, f"max 3D error {err * 1000:.3f} mm ({camera.distortion_model}, {in_size})"
    np.testing.assert_allclose(poses.roots, people[:, ROOT], atol=1e-3)
    # 2D comes back in ORIGINAL image pixels
    np.testing.assert_allclose(poses.joints2d, camera.project(people), atol=0.05)


def test_binning_and_roi_camera_roundtrip():
    full = np.array([1200.0, 0, 1010, 0, 1190, 770, 0, 0, 1])
    cam_full = Camera.from_camera_info(2048, 1536, full, [-0.1, 0.02, 0, 0, 0], "plumb_bob")
    cam = Camera.from_camera_info(2048, 1536, full, [-0.1, 0.02, 0, 0, 0], "plumb_bob", 2, 2, (400, 300, 1200, 900))
    assert (cam.width, cam.height) == (600, 450)
    people = random_people(np.random.default_rng(7), cam, 2)
    # the binned/cropped pixel is (full pixel - roi offset) / binning
    np.testing.assert_allclose(cam.project(people), (cam_full.project(people) - [400, 300]) / 2, atol=1e-6)
    poses, _ = roundtrip(cam, people)
    assert np.abs(poses.joints3d - people).max() < 1e-3


def test_left_right_stay_put():
    cam = Camera(640, 480, 500, 500, 320, 240)
    people = random_people(np.random.default_rng(3), cam, 1)
    poses, _ = roundtrip(cam, people)
    lw, rw = JOINT_INDEX["left_wrist"], JOINT_INDEX["right_wrist"]
    assert np.allclose(poses.joints3d[0, [lw, rw]], people[0, [lw, rw]], atol=1e-3)
