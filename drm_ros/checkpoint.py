"""The model file: network config + the weights that were trained + the input size, one .pt.

Version 2 (written now): {"format": "drm_ros-model", "version": 2, "network": NetworkConfig dict,
 "input_size": [W, H], "base": {"file": "movenet_multipose.pt", "sha256": ...},
 "state_dict": only the tensors that differ from the base, "meta": {provenance}}.
The frozen MoveNet part (9.5 MB) lives once in model/movenet_multipose.pt; a model names it by
sha256, so a new default model adds its trained part (~1 MB) to git, not another copy of MoveNet.
A file whose base differs from the shipped MoveNet is refused with a clear message.

Version 3 (written with `int8=True`): as version 2, plus "int8": {name: {"q": int8 (rows, cols),
 "scale": float16 (rows, 1)}} for the big matrices (the pose lifter's: 2.2 of the 2.9 MB in fp16),
 stored row-wise symmetric 8-bit and restored as q * scale on load. Weight-only 8-bit storage of MLP
 matrices moves outputs far below the network's error (checked by `drm eval`, model/README.md).

Version 1 (still read): every tensor in the file, no base.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch

from drm_ros.network import DRMNet, NetworkConfig

FORMAT = "drm_ros-model"
VERSIONS = (1, 2, 3)
INT8_MIN_ELEMENTS = 16384  # matrices at least this big are stored 8-bit (int8=True)


class ModelError(RuntimeError):
    """A model file that cannot be used (missing, corrupt, wrong format)."""


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _base_file() -> Path:
    from drm_ros.paths import MOVENET_WEIGHTS, model_path

    return model_path(MOVENET_WEIGHTS)


def quantize_rows(w: torch.Tensor) -> dict[str, torch.Tensor]:
    """Row-wise symmetric 8-bit: w ~ q * scale, |q| <= 127."""
    scale = (w.float().abs().amax(dim=1, keepdim=True) / 127.0).clamp(min=1e-12).half()
    return {"q": torch.round(w.float() / scale.float()).clamp(-127, 127).to(torch.int8), "scale": scale}


def save_model(path: str | Path, net: DRMNet, input_size: tuple[int, int], meta: dict | None = None,
               half: bool = False, base: str | Path | None = None, int8: bool = False) -> Path:
    """Write `net`; tensors equal to the base's (the MoveNet weights file) are left out.
    half: float16 trained tensors (the base's are float16-exact already); int8: also the big
    matrices 8-bit (version 3)."""
    from drm_ros.movenet_weights import load_state

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base = Path(base) if base is not None else _base_file()
    base_state = load_state(base)
    state, small = {}, {}
    for k, v in net.state_dict().items():
        if k in base_state and base_state[k].shape == v.shape and torch.equal(base_state[k], v.float()):
            continue
        if int8 and v.is_floating_point() and v.ndim == 2 and v.numel() >= INT8_MIN_ELEMENTS:
            small[k] = quantize_rows(v)
            continue
        state[k] = v.half() if half and v.is_floating_point() else v
    data = {"format": FORMAT, "version": 3 if small else 2, "network": net.config.to_dict(), "input_size": list(input_size),
            "base": {"file": base.name, "sha256": sha256(base)}, "state_dict": state, "meta": meta or {}}
    if small:
        data["int8"] = small
    torch.save(data, path)
    return path


def load_model(path: str | Path) -> tuple[DRMNet, dict]:
    """-> (network in eval mode, float32; the file's dict without the weights)."""
    from drm_ros.movenet_weights import load_state

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04" and head[:1] != b"\x80":  # torch.save writes a zip; old torch a pickle
        raise ModelError(f"{path} is not a drm_ros model file (not a PyTorch file: it begins with {head!r})")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or corrupt: one clear line (torch's own text runs to a
        # paragraph, and for a foreign pickle suggests weights_only=False: never do that here)
        first = str(exc).strip().split("\n")[0].split(". ")[0][:200]
        raise ModelError(f"cannot read model file {path} (truncated or corrupt?): {type(exc).__name__}: {first}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"{path} is not a drm_ros model file")
    if data.get("version") not in VERSIONS:
        raise ModelError(f"{path}: model file version {data.get('version')!r} is not supported "
                         f"(this drm_ros reads versions {VERSIONS}); update drm_ros or re-export the model")
    try:
        net = DRMNet(NetworkConfig.from_dict(data["network"]))
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{path}: network config not understood: {exc}") from None
    state = {k: v.float() for k, v in data["state_dict"].items()}
    for k, v in data.get("int8", {}).items():
        state[k] = v["q"].float() * v["scale"].float()
    if data["version"] >= 2:
        want = data["base"]["sha256"]
        base = _base_file()
        if not base.is_file() or sha256(base) != want:
            raise ModelError(f"{path} builds on MoveNet weights with sha256 {want[:12]}..., but {base} "
                             f"{'is missing' if not base.is_file() else 'differs'}; use the drm_ros release the model was made for")
        state = {**load_state(base), **state}
    try:
        net.load_state_dict(state)
    except RuntimeError as exc:
        raise ModelError(f"{path}: weights do not fit the network config: {exc}") from None
    info = {k: v for k, v in data.items() if k not in ("state_dict", "int8")}
    return net.eval(), info
