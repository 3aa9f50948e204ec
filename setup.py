"""pip install of the drm_ros library (model, training, evaluation, bag tools) and the `drm`
command. The ROS messages are built by CMake (see the Makefile / CMakeLists.txt)."""
from setuptools import find_packages, setup

setup(
    name="drm_ros",
    version="0.1.0",
    description="Single-stage multi-person absolute 3D human pose (DRM) for ROS 2",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["drm_ros", "drm_ros.*"]),
    package_data={"drm_ros": ["py.typed"], "drm_ros.synth": ["assets/*"]},
    install_requires=["numpy", "opencv-python-headless", "torch", "pyyaml", "rosbags"],
    entry_points={"console_scripts": ["drm = drm_ros.cli:main"]},
)
