"""Samples -> network-ready tensors: the image letterboxed to the input size, ground truth moved
into network pixels with the same letterbox, and the network input's focal length (the root
depth normaliser)."""
from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from drm_ros.camera import Letterbox
from drm_ros.data.sample import Sample
from drm_ros.imageio import read_rgb


class PoseDataset(Dataset):
    def __init__(self, samples: list[Sample], input_size: tuple[int, int]):
        self.samples = samples
        self.input_size = input_size

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> dict:
        s = self.samples[i]
        img = read_rgb(s.image_path)
        if img.shape[:2] != (s.camera.height, s.camera.width):
            raise ValueError(f"{s.image_path}: image {img.shape[1]}x{img.shape[0]} != camera {s.camera.width}x{s.camera.height}")
        box = Letterbox.fit(s.camera.width, s.camera.height, *self.input_size)
        item = ground_truth(s, self.input_size, i)
        item["image"] = torch.from_numpy(box.apply(img)).permute(2, 0, 1).float()
        return item


def ground_truth(s: Sample, input_size: tuple[int, int], index: int) -> dict:
    """One sample's labels in network pixels, without reading its image (the feature cache
    already holds what the backbone made of it)."""
    box = Letterbox.fit(s.camera.width, s.camera.height, *input_size)
    return {
        "joints_net": torch.tensor(box.to_network(s.joints2d), dtype=torch.float32),
        "visible": torch.tensor(s.visible, dtype=torch.float32),
        "joints3d": torch.tensor(np.nan_to_num(s.joints3d, nan=0.0), dtype=torch.float32),
        "has3d": torch.tensor(s.has3d, dtype=torch.bool),
        "f_net": torch.tensor(box.network_focal(s.camera), dtype=torch.float32),
        "camera_net": torch.tensor(box.network_intrinsics(s.camera), dtype=torch.float32),
        "index": index,
    }


def collate(items: list[dict]) -> dict:
    """Stack images (if loaded); pad people to the batch's maximum with `person_mask`."""
    p = max(1, max(len(it["joints_net"]) for it in items))
    b = len(items)
    j = items[0]["joints_net"].shape[1] if len(items[0]["joints_net"]) else 18
    out = {
        "joints_net": torch.zeros(b, p, j, 2),
        "visible": torch.zeros(b, p, j),
        "joints3d": torch.zeros(b, p, j, 3),
        "has3d": torch.zeros(b, p, dtype=torch.bool),
        "person_mask": torch.zeros(b, p),
        "f_net": torch.stack([it["f_net"] for it in items]),
        "camera_net": torch.stack([it["camera_net"] for it in items]),
        "index": torch.tensor([it["index"] for it in items]),
    }
    if "image" in items[0]:
        out["image"] = torch.stack([it["image"] for it in items])
    for bi, it in enumerate(items):
        n = len(it["joints_net"])
        if n:
            out["joints_net"][bi, :n] = it["joints_net"]
            out["visible"][bi, :n] = it["visible"]
            out["joints3d"][bi, :n] = it["joints3d"]
            out["has3d"][bi, :n] = it["has3d"]
            out["person_mask"][bi, :n] = 1
    return out
