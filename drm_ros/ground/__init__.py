"""Ground-plane-aware absolute depth (ROS-free): where the floor is in the camera frame
(`plane`), how to find it from a static camera's people (`fit`), and how to turn feet on the
floor into absolute depth fused with DRM's own root depth (`refine`)."""
