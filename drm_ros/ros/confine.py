"""DDS for closed-loop tools (benchmarks, `drm bag eval`): they talk only to the drm_node they
start, so they must never reach another machine nor join a robot's running system.

Default DDS discovery multicasts out of the network card, and a bag replayed with /clock into
a robot's domain would move every sim-time node on it. So these tools confine themselves,
whatever the caller's shell says; their child processes (drm_node) inherit it."""
from __future__ import annotations

import os


def confine_dds(own_domain: bool = False) -> str:
    """Discovery limited to this machine; ROS_DOMAIN_ID kept if given, else one from the process
    id (1..100), or always that one with `own_domain`. Returns the domain id."""
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    mine = str(os.getpid() % 100 + 1)
    if own_domain:
        os.environ["ROS_DOMAIN_ID"] = mine
    else:
        os.environ.setdefault("ROS_DOMAIN_ID", mine)
    return os.environ["ROS_DOMAIN_ID"]
