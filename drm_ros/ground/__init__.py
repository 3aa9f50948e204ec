"""Ground-plane-aware absolute depth (ROS-free): where the floor is in the camera frame
(`plane`), how a static camera finds it from its people (`fit`), how feet on the floor become
absolute depth fused with DRM's root depth (`refine`), and the per-stream driver used by
`drm infer`, `drm eval` and the node (`session`)."""
