"""ROS message conversions, markers and the parameter table (rclpy message classes, no DDS)."""
import cv2
import numpy as np
import pytest
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header
from visualization_msgs.msg import Marker

from drm_ros.bags.messages import poseset_from_skeletons
from drm_ros.camera import CameraError
from drm_ros.ros.conversions import (
    UNTRACKED_ID, ImageError, camera_from_info, compressed_size, compressed_to_rgb, image_to_rgb, poses_to_msg,
)
from drm_ros.ros.markers import poses_to_markers
from drm_ros.ros.params import PARAMS, BY_NAME
from drm_ros.skeleton import BONES, JOINT_NAMES
from posehelpers import person, poses_from

pytestmark = pytest.mark.ros

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 10, 3), dtype=np.uint8)


def image_msg(rows: np.ndarray, encoding: str, width: int, pad: int = 0, big_endian: bool = False) -> Image:
    """Image message from (H, W*bytes_per_pixel) bytes with `pad` junk bytes after each row."""
    rows = np.ascontiguousarray(rows).view(np.uint8).reshape(rows.shape[0], -1)
    padded = np.concatenate([rows, np.full((rows.shape[0], pad), 0xAB, np.uint8)], axis=1)
    msg = Image(height=rows.shape[0], width=width, encoding=encoding, is_bigendian=int(big_endian),
                step=padded.shape[1])
    msg.data = padded.tobytes()
    return msg


@pytest.mark.parametrize("encoding, make", [
    ("rgb8", lambda x: x),
    ("bgr8", lambda x: x[..., ::-1]),
    ("rgba8", lambda x: np.concatenate([x, np.full(x.shape[:2] + (1,), 7, np.uint8)], axis=2)),
    ("bgra8", lambda x: np.concatenate([x[..., ::-1], np.full(x.shape[:2] + (1,), 7, np.uint8)], axis=2)),
])
@pytest.mark.parametrize("pad", [0, 6])
def test_color_encodings_exact_with_row_padding(encoding, make, pad):
    msg = image_msg(make(RGB), encoding, RGB.shape[1], pad)
    assert np.array_equal(image_to_rgb(msg), RGB)


def test_mono8_and_mono16_both_endiannesses():
    gray = RGB[..., 0]
    assert np.array_equal(image_to_rgb(image_msg(gray, "mono8", 10, pad=2)), np.repeat(gray[..., None], 3, axis=2))
    g16 = gray.astype(np.uint16) * 257  # full 16-bit range: maps back exactly to 8 bits
    little = image_to_rgb(image_msg(g16.astype("<u2"), "mono16", 10, pad=4))
    big = image_to_rgb(image_msg(g16.astype(">u2"), "mono16", 10, pad=4, big_endian=True))
    assert np.array_equal(little, big)
    assert np.array_equal(little[..., 0], gray)


@pytest.mark.parametrize("encoding", ["yuv422", "yuv422_yuy2"])
def test_yuv422_variants_decode_to_the_right_colours(encoding):
    # A flat colour survives 4:2:2 chroma subsampling, so both byte orders must give it back.
    y, u, v = 120, 90, 200
    pair = [u, y, v, y] if encoding == "yuv422" else [y, u, y, v]
    rows = np.tile(np.array(pair, np.uint8), (4, 4))  # 4 rows, 8 pixels
    out = image_to_rgb(image_msg(rows, encoding, 8, pad=2))
    # BT.601 video range (Y 16..235), what cameras emit, by the textbook formula.
    c, d, e = 1.164 * (y - 16), u - 128, v - 128
    expect = np.array([c + 1.596 * e, c - 0.391 * d - 0.813 * e, c + 2.018 * d])
    assert out.shape == (4, 8, 3)
    assert np.abs(out.astype(int) - expect).max() <= 3


def test_bad_raw_images_raise_one_clear_error():
    good = image_msg(RGB, "rgb8", 10)
    truncated = image_msg(RGB, "rgb8", 10)
    truncated.data = bytes(good.data)[:-5]
    with pytest.raises(ImageError, match="truncated"):
        image_to_rgb(truncated)
    too_long = image_msg(RGB, "rgb8", 10)  # e.g. height one row short of the data
    too_long.height -= 1
    with pytest.raises(ImageError, match="more than step\\*height"):
        image_to_rgb(too_long)
    unknown = image_msg(RGB, "bayer_rggb8", 10)
    with pytest.raises(ImageError, match="unsupported image encoding 'bayer_rggb8'"):
        image_to_rgb(unknown)
    short_step = image_msg(RGB, "rgb8", 10)
    short_step.step = 20
    with pytest.raises(ImageError, match="step"):
        image_to_rgb(short_step)
    huge = Image(height=4320, width=7680, encoding="rgb8", step=7680 * 3)  # 8K, no data needed
    with pytest.raises(ImageError, match="max_image_pixels"):
        image_to_rgb(huge, max_pixels=3840 * 2160)
    with pytest.raises(ImageError, match="even"):
        image_to_rgb(image_msg(np.zeros((2, 6), np.uint8), "yuv422", 3))


def compressed(data: bytes, fmt="jpeg") -> CompressedImage:
    msg = CompressedImage(format=fmt)
    msg.data = data
    return msg


def test_jpeg_and_png_decode_and_size_from_header():
    img = np.zeros((48, 64, 3), np.uint8)
    img[:, :32] = (255, 0, 0)  # left half red (RGB)
    jpg = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    png = cv2.imencode(".png", img[..., ::-1])[1].tobytes()
    assert compressed_size(jpg) == (64, 48) and compressed_size(png) == (64, 48)
    decoded = compressed_to_rgb(compressed(jpg)).astype(int)
    assert np.abs(decoded - img)[:, list(range(24)) + list(range(40, 64))].max() < 10  # away from the edge
    assert np.array_equal(compressed_to_rgb(compressed(png, "png")), img)


def test_bad_compressed_images_raise_one_clear_error():
    jpg = cv2.imencode(".jpg", RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))[1].tobytes()
    with pytest.raises(ImageError, match="truncated"):
        compressed_to_rgb(compressed(jpg[: len(jpg) // 2]))
    with pytest.raises(ImageError, match="neither JPEG nor PNG"):
        compressed_to_rgb(compressed(b"this is not an image at all"))
    corrupt = jpg[:200] + bytes(RNG.integers(0, 256, len(jpg) - 202, dtype=np.uint8)) + b"\xff\xd9"
    with pytest.raises(ImageError):
        compressed_to_rgb(compressed(corrupt))
    with pytest.raises(ImageError, match="empty"):
        compressed_to_rgb(compressed(b""))
    # An 8K JPEG is refused from its header, before any decode.
    big = cv2.imencode(".jpg", np.zeros((4320, 7680, 3), np.uint8))[1].tobytes()
    with pytest.raises(ImageError, match="7680x4320"):
        compressed_to_rgb(compressed(big), max_pixels=3840 * 2160)


def info_msg(k, d=(0.1, -0.05, 0.0, 0.0, 0.01), model="plumb_bob", w=640, h=480) -> CameraInfo:
    msg = CameraInfo(width=w, height=h, distortion_model=model)
    msg.k = np.asarray(k, float)
    msg.d = list(d)
    return msg


K = (500.0, 0, 320.0, 0, 505.0, 240.0, 0, 0, 1)


def test_camera_info_to_camera_with_binning_and_roi():
    cam = camera_from_info(info_msg(K))
    assert (cam.width, cam.height, cam.fx, cam.fy, cam.cx, cam.cy) == (640, 480, 500, 505, 320, 240)
    assert cam.distortion_model == "plumb_bob" and cam.dist[0] == pytest.approx(0.1)
    msg = info_msg(K)
    msg.binning_x = msg.binning_y = 2
    msg.roi.x_offset, msg.roi.y_offset, msg.roi.width, msg.roi.height = 100, 40, 400, 300
    cam = camera_from_info(msg)
    assert (cam.width, cam.height) == (200, 150)
    assert (cam.fx, cam.cx, cam.cy) == (250, 110, 100)


@pytest.mark.parametrize("k, match", [((0.0,) * 9, "not calibrated"),
                                      ((np.nan, 0, 320, 0, 500, 240, 0, 0, 1), "not finite"),
                                      ((-500, 0, 320, 0, 500, 240, 0, 0, 1), "positive")])
def test_invalid_camera_info_raises(k, match):
    with pytest.raises(CameraError, match=match):
        camera_from_info(info_msg(k))


def test_unknown_distortion_model_raises():
    with pytest.raises(CameraError, match="distortion model"):
        camera_from_info(info_msg(K, model="fisheye_of_doom"))


def test_poses_to_msg_is_self_describing_and_round_trips():
    poses = poses_from([person((0, 0, 3)), person((1, 0, 4))]).with_ids([4, -1])
    poses.root_sigma[:] = [0.4, np.nan]  # the second person's uncertainty unknown
    header = Header(frame_id="cam_optical")
    header.stamp.sec, header.stamp.nanosec = 12, 345
    msg = poses_to_msg(poses, header)
    assert msg.skeletons[1].root_covariance[0] == -1 and not np.any(msg.skeletons[1].root_covariance[1:])
    assert list(msg.joint_names) == list(JOINT_NAMES)
    assert list(zip(msg.bone_start, msg.bone_end)) == list(BONES)
    assert msg.header.frame_id == "cam_optical" and msg.header.stamp.nanosec == 345
    assert [s.id for s in msg.skeletons] == [4, UNTRACKED_ID]
    back = poseset_from_skeletons(msg)  # the bag reader works on rclpy messages too (duck typing)
    assert np.allclose(back.joints3d, poses.joints3d) and np.allclose(back.roots, poses.roots)
    assert np.allclose(back.joints2d, poses.joints2d, atol=1e-3)
    assert list(back.ids) == [4, -1]
    assert back.root_sigma[0] == pytest.approx(0.4) and np.isnan(back.root_sigma[1])


def test_markers_layout():
    poses = poses_from([person((0, 0, 3)), person((1, 0, 4))]).with_ids([3, 8])
    poses.joint_scores[1, 0] = 0.0  # an unseen nose: left out of spheres and its bones
    header = Header(frame_id="cam_optical")
    arr = poses_to_markers(poses, header, lifetime_sec=0.25, min_joint_score=0.2)
    assert arr.markers[0].action == Marker.DELETEALL
    rest = arr.markers[1:]
    assert [(m.ns, m.id, m.type) for m in rest] == [
        ("person_3", 0, Marker.SPHERE_LIST), ("person_3", 1, Marker.LINE_LIST),
        ("person_8", 0, Marker.SPHERE_LIST), ("person_8", 1, Marker.LINE_LIST)]
    assert all(m.header.frame_id == "cam_optical" for m in arr.markers)
    assert all(m.lifetime.sec == 0 and m.lifetime.nanosec == 250_000_000 for m in rest)
    assert len(rest[0].points) == 18 and len(rest[1].points) == 2 * len(BONES)
    assert len(rest[2].points) == 17 and len(rest[3].points) == 2 * (len(BONES) - 2)
    for m in rest:
        assert 0 <= m.color.r <= 1 and 0 <= m.color.g <= 1 and 0 <= m.color.b <= 1 and m.color.a == 1
    assert (rest[0].color.r, rest[0].color.g, rest[0].color.b) != (rest[2].color.r, rest[2].color.g, rest[2].color.b)
    assert rest[0].points[17].z == pytest.approx(3.0)


def test_markers_show_the_root_uncertainty_along_the_viewing_ray():
    poses = poses_from([person((1, 0, 4))]).with_ids([5])
    poses.root_sigma[:] = 0.5
    bar = poses_to_markers(poses, Header(frame_id="cam_optical"), lifetime_sec=0.25).markers[3]
    assert (bar.ns, bar.id, bar.type) == ("person_5", 2, Marker.LINE_LIST) and bar.color.a < 1
    ends = np.array([(q.x, q.y, q.z) for q in bar.points])
    ray = poses.roots[0] / np.linalg.norm(poses.roots[0])
    assert np.allclose(ends, [poses.roots[0] - 0.5 * ray, poses.roots[0] + 0.5 * ray])


def test_parameter_table_defaults_valid_and_invalid_values_rejected():
    for p in PARAMS:
        assert p.validate(p.default) is None, p.name
        assert p.description
        p.descriptor()
    assert BY_NAME["score_threshold"].validate(1.5)
    assert BY_NAME["score_threshold"].validate(float("nan"))
    assert BY_NAME["max_persons"].validate(0)
    assert BY_NAME["input_size"].validate("300x256")  # not a multiple of 32
    assert BY_NAME["input_size"].validate("320")  # one number is not a size
    assert BY_NAME["input_size"].validate(320)  # nor an integer
    assert BY_NAME["input_size"].validate("320x256") is None and BY_NAME["input_size"].validate("") is None
    assert BY_NAME["image_transport"].validate("theora")
    assert BY_NAME["device"].validate("tpu")
    assert BY_NAME["device"].validate("cuda:1") is None
    assert BY_NAME["max_persons"].validate("3")


def test_body_frame_of_a_person_facing_the_camera():
    """x forward (towards the camera, -z optical), y the person's left (+x optical), z up (-y optical)."""
    from drm_ros.body_frames import body_rotations

    j = np.zeros((1, 18, 3))
    j[0, 11], j[0, 12] = [0.1, 0, 5], [-0.1, 0, 5]  # left hip on the image right: facing the camera
    j[0, 5], j[0, 6] = [0.2, -0.5, 5], [-0.2, -0.5, 5]
    j[0, 17] = [0, 0, 5]
    rot, ok = body_rotations(j)
    assert ok[0] and np.allclose(rot[0], [[0, 1, 0], [0, 0, -1], [-1, 0, 0]], atol=1e-9)
    j[0, 11] = j[0, 12]  # degenerate hips: identity, flagged
    rot, ok = body_rotations(j)
    assert not ok[0] and np.allclose(rot[0], np.eye(3))
