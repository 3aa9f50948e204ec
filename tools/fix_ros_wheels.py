"""Rewrite the ROS wheel builder's absolute paths in the installed CMake export files.

The ros-* message wheels were built in a manylinux container; their share/*/cmake/*Export.cmake
files name /opt/python/cp311-cp311 include directories that do not exist here, and CMake then
refuses the imported targets when our messages are built. Idempotent.
"""
import pathlib
import sys
import sysconfig

import numpy

REWRITES = {
    "/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include": numpy.get_include(),
    "/opt/python/cp311-cp311/include/python3.11": sysconfig.get_paths()["include"],
}


def main() -> int:
    share = pathlib.Path(sys.prefix) / "share"
    changed = 0
    for path in share.glob("*/cmake/*.cmake"):
        text = path.read_text()
        new = text
        for old, repl in REWRITES.items():
            new = new.replace(old, repl)
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"fix_ros_wheels: rewrote {changed} CMake export file(s) under {share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
