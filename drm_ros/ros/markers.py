"""PoseSet -> visualization_msgs/MarkerArray for RViz.

Layout: a DELETEALL first (so people who left the view vanish at once rather than when their
lifetime runs out), then per person one namespace `person_<id>` holding marker 0 = joints
(SPHERE_LIST), marker 1 = bones (LINE_LIST), coloured by id as in the debug overlay, and, when
the root's uncertainty is known, marker 2 = a faint bar through the pelvis along its viewing ray,
+-1 sigma long (PoseSet.root_sigma): where a single camera may have placed the person.
The lifetime of a few frame periods removes markers if the node stops publishing.
"""
from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from drm_ros.overlay import id_color
from drm_ros.poses import PoseSet
from drm_ros.skeleton import BONES

JOINT_DIAMETER_M = 0.06
BONE_WIDTH_M = 0.025
SIGMA_BAR_WIDTH_M = 0.04
SIGMA_BAR_ALPHA = 0.35


def _duration(seconds: float) -> Duration:
    sec = int(seconds)
    return Duration(sec=sec, nanosec=int(round((seconds - sec) * 1e9)))


def person_namespace(person_id: int) -> str:
    return f"person_{person_id}" if person_id >= 0 else "person_untracked"


def poses_to_markers(poses: PoseSet, header, lifetime_sec: float, min_joint_score: float = 0.2) -> MarkerArray:
    out = MarkerArray()
    clear = Marker(header=header, action=Marker.DELETEALL)
    out.markers.append(clear)
    lifetime = _duration(lifetime_sec)
    for i in range(len(poses)):
        pid = int(poses.ids[i])
        r, g, b = id_color(pid)
        color = ColorRGBA(r=float(r), g=float(g), b=float(b), a=1.0)
        ok = (poses.joint_scores[i] >= min_joint_score) & np.all(np.isfinite(poses.joints3d[i]), axis=1)
        pts = [Point(x=float(x), y=float(y), z=float(z)) for x, y, z in poses.joints3d[i]]
        # Untracked people share one namespace, so give each its own marker ids.
        base = 0 if pid >= 0 else 3 * i
        joints = Marker(header=header, ns=person_namespace(pid), id=base, type=Marker.SPHERE_LIST,
                        action=Marker.ADD, lifetime=lifetime, color=color,
                        points=[pts[j] for j in np.flatnonzero(ok)])
        joints.pose.orientation.w = 1.0
        joints.scale.x = joints.scale.y = joints.scale.z = JOINT_DIAMETER_M
        bones = Marker(header=header, ns=person_namespace(pid), id=base + 1, type=Marker.LINE_LIST,
                       action=Marker.ADD, lifetime=lifetime, color=color)
        bones.pose.orientation.w = 1.0
        bones.scale.x = BONE_WIDTH_M
        for a, b_ in BONES:
            if ok[a] and ok[b_]:
                bones.points.extend([pts[a], pts[b_]])
        out.markers.extend([joints, bones])
        root, sigma = poses.roots[i], float(poses.root_sigma[i])
        if np.isfinite(sigma) and np.all(np.isfinite(root)) and np.linalg.norm(root) > 0:
            ray = root / np.linalg.norm(root)
            bar = Marker(header=header, ns=person_namespace(pid), id=base + 2, type=Marker.LINE_LIST,
                         action=Marker.ADD, lifetime=lifetime,
                         color=ColorRGBA(r=float(r), g=float(g), b=float(b), a=SIGMA_BAR_ALPHA),
                         points=[Point(x=float(x), y=float(y), z=float(z)) for x, y, z in (root - sigma * ray, root + sigma * ray)])
            bar.pose.orientation.w = 1.0
            bar.scale.x = SIGMA_BAR_WIDTH_M
            out.markers.append(bar)
    return out
