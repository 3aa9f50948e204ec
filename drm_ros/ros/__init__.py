"""The ROS 2 edge of drm_ros (rclpy): the node, message conversions, markers, diagnostics.
The only package that imports rclpy or ROS messages."""
