"""Reading images from files, one way for every consumer (training, evaluation, CLI)."""
from __future__ import annotations

import cv2
import numpy as np


def read_rgb(path) -> np.ndarray:
    """uint8 RGB image; one clear error when the file is missing or unreadable."""
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(f"cannot read image {path} (missing or not an image)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def decode_jpeg(data: bytes) -> np.ndarray:
    """JPEG/PNG bytes -> uint8 RGB; one clear error for corrupt data."""
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError("cannot decode compressed image data (corrupt or unsupported format)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
