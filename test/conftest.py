"""Test-session guards.

Network safety: any test may start rclpy, and DDS must never leave this machine. If pytest was
not started through tools/loopback (private network namespace + LOCALHOST discovery + own
domain id), re-execute it that way, so plain `pytest` is as safe as `make test`.
"""
import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    if os.environ.get("DRM_ROS_LOOPBACK_NS") != "1" and os.environ.get("DRM_ROS_NO_REEXEC") != "1":
        os.environ["DRM_ROS_NO_REEXEC"] = "1"  # the fallback path (no unshare) must not loop
        # give the real stdout/stderr back before exec, or the new pytest writes into the capture
        config.pluginmanager.getplugin("capturemanager").stop_global_capturing()
        loopback = str(REPO / "tools" / "loopback")
        os.execv(loopback, [loopback, sys.executable, "-m", "pytest", *sys.argv[1:]])
    # Even where re-exec is impossible, never let rclpy start with default discovery.
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    os.environ.setdefault("ROS_DOMAIN_ID", str(os.getpid() % 100 + 1))


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return REPO / "test" / "fixtures"
