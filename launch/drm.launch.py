"""Launch drm_node: `ros2 launch drm_ros drm.launch.py image:=/camera/image_raw camera_info:=/camera/camera_info`.

Arguments: namespace, image (remaps `image`; `image/compressed` follows it), camera_info,
params_file (default: the package's config/drm.yaml), use_sim_time (true when replaying a bag
with /clock), device (cpu, cuda, cuda:N; overrides the params file).
Large raw images from a best-effort publisher need the shared-memory FastDDS profile for every process
on the machine: export FASTDDS_DEFAULT_PROFILES_FILE=$(ros2 pkg prefix drm_ros)/share/drm_ros/config/fastdds_shm.xml
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue
from launch_ros.substitutions import FindPackageShare


def generate_launch_description():
    arg = LaunchConfiguration
    return LaunchDescription([
        DeclareLaunchArgument("namespace", default_value="", description="namespace of drm_node and its topics"),
        DeclareLaunchArgument("image", default_value="image", description="sensor_msgs/Image topic"),
        DeclareLaunchArgument("camera_info", default_value="camera_info", description="sensor_msgs/CameraInfo topic"),
        DeclareLaunchArgument("params_file", default_value=PathJoinSubstitution(
            [FindPackageShare("drm_ros"), "config", "drm.yaml"]), description="drm_node parameter file"),
        DeclareLaunchArgument("use_sim_time", default_value="false", description="use /clock (bag replay)"),
        DeclareLaunchArgument("device", default_value="cpu", description="torch device: cpu, cuda, cuda:N"),
        Node(
            package="drm_ros",
            executable="drm_node",
            name="drm_node",
            namespace=arg("namespace"),
            output="screen",
            parameters=[arg("params_file"), {
                "use_sim_time": ParameterValue(arg("use_sim_time"), value_type=bool),
                "device": ParameterValue(arg("device"), value_type=str),
            }],
            remappings=[
                ("image", arg("image")),
                ("image/compressed", [arg("image"), "/compressed"]),
                ("camera_info", arg("camera_info")),
            ],
        ),
    ])
