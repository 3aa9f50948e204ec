"""Labelled synthetic multi-person scenes (`drm synth`).

motion.py  real mocap poses (DeepMimic + CMU clips, FK done offline) -> augmented 3D bodies + COCO joints
motion_checks.py  chirality / height / bone-length measures of clips (tests, tools/motion_stats.py)
rig.py     random cameras: intrinsics (drm_ros.camera.Camera) and pose above the ground plane
body.py    a person's solid primitives (capsules) and clothing
raster.py  z-buffered, shaded capsule rasteriser (numpy), the one projection being Camera's
background.py  cheap varied backgrounds (ground plane textures, gradients, noise, clutter)
scene.py   one labelled image: sample, render, label (visibility, boxes)
generate.py  many images, deterministic per (seed, index), 2-process pool, dataset + rosbag writers
"""
