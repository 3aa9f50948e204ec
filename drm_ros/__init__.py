"""drm_ros: single-stage multi-person absolute 3D human pose (DRM) for ROS 2.

The library core (skeleton, camera, network, codec, losses, data, metrics) imports no ROS;
`drm_ros.ros` is the thin ROS edge. The generated message modules (`drm_ros.msg`) are installed
by CMake into a directory of the same name; extending __path__ lets a source checkout and that
installed directory act as one package, in whichever order they appear on sys.path.
"""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
