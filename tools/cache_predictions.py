"""DRM's own poses for every frame of a labelled split, computed once and kept in runs/ (not
committed), so that floor studies (tools/floor_uncertainty.py) can re-run the fit many times
without re-running the network. Keyed by the split's folder and the model file's size/mtime.

    .venv/bin/python tools/cache_predictions.py data/synth_seq [more splits]
"""
import hashlib
import os
import pickle
import sys
from pathlib import Path

import torch

from drm_ros.data.load import load_any
from drm_ros.imageio import read_rgb
from drm_ros.inference import PoseEstimator

CACHE = Path("runs/prediction_cache")


def cache_path(data: str) -> Path:
    model = Path("model/drm_default.pt").stat()
    # "poses2": PoseSets carry root_sigma since session 11 (older pickles lack the field)
    key = hashlib.sha1(f"{Path(data).resolve()}|{model.st_size}|{model.st_mtime_ns}|poses2".encode()).hexdigest()[:12]
    return CACHE / f"{Path(data).name}_{key}.pkl"


def predictions(data: str):
    """(samples, DRM's PoseSet per sample), from the cache when present."""
    samples = load_any(data)
    path = cache_path(data)
    if path.exists():
        return samples, pickle.loads(path.read_bytes())
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))  # the machine is shared
    est = PoseEstimator.from_file(None)
    out = [est.estimate(read_rgb(s.image_path), s.camera) for s in samples]
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(out))
    return samples, out


if __name__ == "__main__":
    for data in sys.argv[1:]:
        samples, _ = predictions(data)
        print(f"{data}: {len(samples)} frames cached in {cache_path(data)}")
