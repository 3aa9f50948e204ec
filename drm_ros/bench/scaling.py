"""`drm bench scaling`: single-stage DRM against a top-down pipeline built from the same parts,
on synthetic scenes with 1, 5, 10 and 20 people.

Top-down baseline (the standard pipeline, same backbone and heads): a person-finding pass over the
whole image (one full forward, as a detector), then per person: crop its box (1.25x margin, 3:4
aspect), resize to 192x256, run backbone + heads on the crop, decode its single pose, read its
depth, map back. Crops are taken at the ground-truth boxes so every scene costs exactly N crops
(an oracle detector: the baseline is given its best case, never an extra miss).
"""
from __future__ import annotations

import numpy as np
import torch

from drm_ros.bench.model import load_default_net
from drm_ros.bench.timing import set_threads, summary, time_ms
from drm_ros.camera import Camera, Letterbox
from drm_ros.codec import decode_2d, lift_to_3d
from drm_ros.imageio import decode_jpeg
from drm_ros.inference import PoseEstimator

CROP = (192, 256)  # W, H of a top-down crop
COUNTS = (1, 5, 10, 20)


def scenes_with(n: int, count: int, seed: int):
    from drm_ros.synth.config import load_config
    from drm_ros.synth.generate import make_frame
    from drm_ros.synth.motion import MotionLibrary

    cfg = load_config()
    cfg["people"]["count"] = [n, n]
    cfg["people"]["distance_m"] = [2.5, 10.0]
    cfg["people"]["person_height_px"] = [90, 300]  # big enough for the 2D branch to find most of them
    cfg["people"]["lateral_margin"] = 0.0  # nobody half outside the frame
    cfg["people"]["min_separation_m"] = 0.5
    motion = MotionLibrary(cfg["clips"])
    return [make_frame(cfg, motion, seed, i) for i in range(count)]


class TopDown:
    def __init__(self, net, input_size):
        self.net = net
        self.input_size = input_size

    @torch.inference_mode()
    def __call__(self, image: np.ndarray, camera: Camera, boxes: np.ndarray):
        box = Letterbox.fit(camera.width, camera.height, *self.input_size)
        x = torch.from_numpy(box.apply(image)).permute(2, 0, 1)[None].float()
        self.net(x, torch.tensor(box.network_intrinsics(camera), dtype=torch.float32)[None])  # the person-finding pass
        crops, letterboxes = [], []
        for u0, v0, u1, v1 in boxes:
            cu, cv, h = (u0 + u1) / 2, (v0 + v1) / 2, max(v1 - v0, (u1 - u0) * 4 / 3) * 1.25
            s = CROP[1] / h
            # a crop is a letterbox centred on the box: original pixel -> crop pixel
            lb = Letterbox(s, CROP[0] / 2 - s * cu, CROP[1] / 2 - s * cv, *CROP)
            crops.append(lb.apply(image))
            letterboxes.append(lb)
        poses = []
        for crop, lb in zip(crops, letterboxes):  # one network pass per person: the top-down cost
            m = self.net.maps(torch.from_numpy(crop).permute(2, 0, 1)[None].float())
            dec = decode_2d(torch.sigmoid(m["center"]), m["kpt_regress"], torch.sigmoid(m["kpt_heatmap"]),
                            m["kpt_offset"], 1)
            q = self.net.query(m, dec["joints"]) if self.net.pdqm is not None else None
            log_d, dz, lift = self.net.depth(self.net.depth_trunk(m["features"]), q, dec["joints"], dec["root"],
                                             dec["joint_score"],
                                             torch.tensor(lb.network_intrinsics(camera), dtype=torch.float32)[None])
            poses.append(lift_to_3d(dec["joints"][0].numpy(), dec["joint_score"][0].numpy(), dec["score"][0].numpy(),
                                    log_d[0].numpy(), dz[0].numpy(), lb, camera, lift[0].numpy()))
        return poses


def run(threads: int = 2, repeats: int = 10) -> None:
    set_threads(threads)
    net, name = load_default_net()
    est = PoseEstimator(net, (384, 288))
    topdown = TopDown(net, est.input_size)
    print(f"model: {name}; DRM input {est.input_size[0]}x{est.input_size[1]}, top-down crops {CROP[0]}x{CROP[1]}; "
          f"{threads} threads; median [p10-p90] ms over 3 scenes x {repeats} runs")
    print(f"{'people':>6} | {'found':>5} | {'DRM':>22} | {'top-down':>22} | top-down/DRM")
    base = None
    for n in COUNTS:
        frames = scenes_with(n, 3, seed=100 + n)
        drm_ms, td_ms, found = [], [], []
        for f in frames:
            img = decode_jpeg(f.jpeg)
            drm_ms.append(time_ms(lambda: est.estimate(img, f.camera), repeats))
            td_ms.append(time_ms(lambda: topdown(img, f.camera, f.boxes), max(3, repeats // 3), warmup=1))
            found.append(len(est.estimate(img, f.camera)))
        d, t = np.concatenate(drm_ms), np.concatenate(td_ms)
        base = base if base is not None else np.median(d)
        people = np.mean([len(f.boxes) for f in frames])
        print(f"{people:6.1f} | {np.mean(found):5.1f} | {summary(d):>22} | {summary(t):>22} | {np.median(t) / np.median(d):5.2f}x"
              f"   (DRM vs its 1-person time: {np.median(d) / base:.2f}x)")
