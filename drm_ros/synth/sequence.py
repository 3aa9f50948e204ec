"""Sequence mode: the same camera, background and people over consecutive frames, the people
walking/running continuously (clips looped with their root travel), for tracking/jitter tests."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drm_ros.synth.body import sample_look
from drm_ros.synth.motion import MotionLibrary, sample_shape
from drm_ros.synth.rig import sample_rig
from drm_ros.synth.scene import Person, Scene, _place, pose_person, sample_effects, sample_light


@dataclass
class Track:
    clip: str
    phase: float
    shape: object
    look: object
    yaw: float
    start: np.ndarray
    track_id: int


def sequence_scene(cfg: dict, motion: MotionLibrary, seed: int, sequence: int, frame: int) -> Scene:
    """Frame `frame` of sequence `sequence`: everything but the time and the sensor noise is drawn
    from (seed, sequence), so consecutive frames show the same people moving on."""
    seq_cfg = cfg["sequence"]
    clips = [c for c in seq_cfg["clips"] if c in motion.clips]
    if not clips:
        raise ValueError(f"sequence.clips {seq_cfg['clips']} are not among the selected clips {motion.clips}")
    rng = np.random.default_rng([seed, sequence, 1 << 30])
    rig = sample_rig(rng, cfg["camera"])
    n = int(rng.integers(cfg["people"]["count"][0], cfg["people"]["count"][1] + 1))
    tracks, taken = [], []
    for i in range(n):
        pos = _place(rng, rig, cfg["people"], taken)
        if pos is None:
            continue
        taken.append(pos)
        clip = clips[int(rng.integers(len(clips)))]
        tracks.append(Track(clip, float(rng.uniform(0, len(motion.points[clip]) - 1)), sample_shape(rng, cfg["body"]),
                            sample_look(rng), float(rng.uniform(-np.pi, np.pi)), pos, sequence * 1000 + i))
    r = cfg["render"]
    light, bg_seed, shadow = sample_light(rng, r), int(rng.integers(2**31)), float(rng.uniform(*r["shadow_strength"]))
    time_s = frame / float(seq_cfg["fps"])
    people = []
    for tr in tracks:
        t = tr.phase + time_s / motion.dt[tr.clip]
        pts, rot = pose_person(motion, tr.clip, t, tr.shape, tr.yaw, tr.start, loop=True)
        people.append(Person(pts, rot, tr.look, tr.shape.scale,
                             {"clip": tr.clip, "frame": round(t, 2), "mirrored": tr.shape.mirrored, "track_id": tr.track_id,
                              "sequence": sequence, "sequence_frame": frame, "height_m": round(tr.shape.scale * 1.6, 3)}))
    frame_rng = np.random.default_rng([seed, sequence, frame])
    effects = sample_effects(frame_rng, r)
    effects["noise_seed"] = int(frame_rng.integers(2**31))
    return Scene(rig, people, light, bg_seed, shadow, effects)
