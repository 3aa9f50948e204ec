"""tools/extract_cmu.py on tiny hand-written files: the ASF/AMC and BVH rotation conventions
(signs, axis frames, channel order) that decide whether limbs bend the right way."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

_spec = importlib.util.spec_from_file_location("extract_cmu", Path(__file__).resolve().parents[1] / "tools" / "extract_cmu.py")
extract_cmu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(extract_cmu)

ASF = """:version 1.10
:units
  length 0.45
  angle deg
:root
   order TX TY TZ RX RY RZ
   axis XYZ
   position 0 0 0
   orientation 0 0 0
:bonedata
  begin
     id 1
     name lfemur
     direction 0 -1 0
     length 10
     axis 0 0 {femur_axis_z} XYZ
    dof rx ry rz
  end
  begin
     id 2
     name ltibia
     direction 0 -1 0
     length 10
     axis 0 0 0 XYZ
    dof rx
  end
:hierarchy
  begin
    root lfemur
    lfemur ltibia
  end
"""
AMC = """:FULLY-SPECIFIED
:DEGREES
1
root 0 0 0 0 0 0
lfemur 0 0 0
ltibia 0
2
root 0 0 0 0 0 0
lfemur -90 0 0
ltibia 90
3
root 1 2 3 0 0 90
lfemur 0 0 0
ltibia 0
"""


def fk(femur_axis_z=0):
    skel = extract_cmu.AsfSkeleton(ASF.format(femur_axis_z=femur_axis_z))
    return extract_cmu.asf_forward_kinematics(skel, extract_cmu.parse_amc(AMC, skel))


def test_asf_rest_pose_and_root_motion():
    start, end, _ = fk()
    assert np.allclose(end["lfemur"][0], [0, -10, 0]) and np.allclose(end["ltibia"][0], [0, -20, 0])
    # root translation, then RZ 90 turns the downward leg towards +x
    assert np.allclose(start["lfemur"][2], [1, 2, 3]) and np.allclose(end["ltibia"][2], [21, 2, 3])


def test_asf_hip_flexion_is_negative_rx_and_knee_flexion_positive():
    """CMU's femur limits rx (-160, 20) and tibia rx (-10, 170): flexion swings the thigh to the
    front (+z in CMU's world, +x in ours) and folds the shin back down under the knee (sitting)."""
    _, end, _ = fk()
    assert np.allclose(end["lfemur"][1], [0, 0, 10], atol=1e-9)
    assert np.allclose(end["ltibia"][1], [0, -10, 10], atol=1e-9)
    knee_ours = extract_cmu.CMU_TO_OURS @ end["lfemur"][1]
    assert knee_ours[0] > 9  # forward


def test_asf_dofs_turn_about_the_bone_axis_frame():
    """With `axis 0 0 20`, rx rotates about the rest x axis turned 20 deg about z (C M C^T)."""
    _, end, _ = fk(femur_axis_z=20)
    a = np.radians(20)
    k = np.array([np.cos(a), np.sin(a), 0.0])
    v = np.array([0.0, -10.0, 0.0])
    t = np.radians(-90)  # Rodrigues
    expected = v * np.cos(t) + np.cross(k, v) * np.sin(t) + k * (k @ v) * (1 - np.cos(t))
    assert np.allclose(end["lfemur"][1], expected)


BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Knee
  {
    OFFSET 0 -10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -10 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0166667
1 2 3 0 0 0 0 0 0
0 0 0 90 90 0 0 0 0
"""


def test_bvh_channels_compose_in_listed_order():
    bvh = extract_cmu.Bvh(BVH)
    assert bvh.frame_time == pytest.approx(1 / 60, rel=1e-4) and bvh.motion.shape == (2, 9)
    pos, _ = bvh.forward_kinematics()
    assert np.allclose(pos["Knee"][0], [1, -8, 3])
    # Zrotation then Xrotation: R = Rz(90) @ Rx(90) takes (0, -10, 0) to (0, 0, -10);
    # the other order would give (10, 0, 0).
    assert np.allclose(pos["Knee"][1], [0, 0, -10], atol=1e-9)


def test_bvh_rejects_a_short_motion_table():
    with pytest.raises(ValueError, match="motion table"):
        extract_cmu.Bvh(BVH.replace("Frames: 2", "Frames: 3"))


def test_amc_with_a_missing_bone_is_an_error():
    skel = extract_cmu.AsfSkeleton(ASF.format(femur_axis_z=0))
    with pytest.raises(ValueError, match="ltibia"):
        extract_cmu.parse_amc(AMC.replace("ltibia 90\n", ""), skel)


def test_clean_span_cuts_capture_glitches_and_the_held_frames_before_them():
    fps, n = 120.0, 200
    t = np.arange(n) / fps
    pts = np.zeros((n, 18, 3))
    pts[:, :, 0] = t[:, None]  # everyone walks at 1 m/s
    pts[:, 5, 2] = 0.2 * np.sin(2 * np.pi * t)  # one joint swings (< 2 m/s)
    assert extract_cmu.clean_span(pts, fps) == (0, n)
    glitchy = pts.copy()
    glitchy[130:140, 5, 2] = glitchy[129, 5, 2]  # data gap: the joint is held ...
    glitchy[140:, 5, 2] += 0.6  # ... and then jumps 0.6 m in one frame (72 m/s)
    assert extract_cmu.clean_span(glitchy, fps) == (0, 130)
    tpose = pts.copy()
    tpose[0] += [2.0, 0.0, 0.0]  # a prepended rest pose elsewhere
    assert extract_cmu.clean_span(tpose, fps) == (1, n)
