"""What `make setup` installs into the venv prefix, checked the way `ros2 run` and `ros2 launch`
look things up (ament index -> <prefix>/lib/drm_ros/<executable>, <prefix>/share/drm_ros/launch).
The ros2 CLI itself is on no registry here, so it is not run; its lookups are reproduced with
ament_index_python, and the installed executables are started directly."""
from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import pytest

from roshelpers import REPO, Process, wait_until

PREFIX = Path(sys.prefix)
pytestmark = [pytest.mark.ros, pytest.mark.skipif(not (PREFIX / ".stamps" / "msgs").is_file(),
                                                 reason="not running in the venv `make setup` builds")]


def ament_lookup(code: str) -> str:
    """Run ament_index_python with the venv as the only prefix (what sourcing a workspace sets)."""
    env = {**os.environ, "AMENT_PREFIX_PATH": str(PREFIX)}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_share_directory_holds_launch_config_model_and_sample_data():
    share = Path(ament_lookup("from ament_index_python import get_package_share_directory as g; "
                              "print(g('drm_ros'))"))
    assert share == PREFIX / "share" / "drm_ros"
    for rel in ("launch/drm.launch.py", "config/drm.yaml", "config/drm.rviz", "config/fastdds_shm.xml",
                "model/drm_default.pt", "package.xml",
                "sample_data/vtest/frame_0255.jpg", "sample_data/vtest/floor.yaml"):  # drm bench, make demo
        assert (share / rel).is_file(), rel
        assert filecmp.cmp(share / rel, REPO / rel, shallow=False), f"{rel} is stale: run make setup"


def test_executables_are_where_ros2_run_looks_and_use_the_venv_python():
    prefix = Path(ament_lookup("from ament_index_python import get_package_prefix as g; print(g('drm_ros'))"))
    lib = prefix / "lib" / "drm_ros"
    for name in ("drm_node", "drm"):
        exe = lib / name
        assert exe.is_file() and os.access(exe, os.X_OK), exe
        assert exe.read_text().splitlines()[0] == f"#!{sys.executable}"  # not `env python3`
    # From a shell where the venv is not activated (no venv on PATH): still the right interpreter.
    bare = {**os.environ, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([str(lib / "drm"), "--help"], env=bare, capture_output=True, text=True, cwd="/")
    assert out.returncode == 0 and "infer" in out.stdout, out.stderr


def test_installed_drm_node_starts_and_stops_cleanly():
    proc = Process([str(PREFIX / "lib" / "drm_ros" / "drm_node"), "--ros-args", "-r", "__ns:=/installed"],
                   PATH="/usr/bin:/bin")
    try:
        wait_until(lambda: "active: subscribed to /installed/image" in proc.output or proc.proc.poll() is not None,
                   90, "the installed node to come up")
    finally:
        code = proc.stop()
    assert code == 0 and "active: subscribed to /installed/image" in proc.output, proc.output
