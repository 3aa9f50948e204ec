"""Model faults: a lifecycle drm_node is configured (by service) with a missing, a truncated, a
wrong-format and a wrong-version model file in turn. Each configure must fail with a clear error
naming the problem and leave the node unconfigured (alive); setting a good path then configures,
activates and serves a frame, with no restart."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from drm_ros.paths import model_path
from drm_ros.ros.soak.rig import REPO, Driver, NodeProcess, image_msg, info_msg, real_frames


def _bad_models(folder: Path) -> list[tuple[str, Path, str]]:
    """(kind, file, regex of the node's error line)."""
    import torch

    from drm_ros.inference import DEFAULT_MODEL

    good = model_path(DEFAULT_MODEL)
    truncated = folder / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    jpeg = folder / "photo.pt"
    jpeg.write_bytes((REPO / "sample_data" / "vtest" / "frame_0250.jpg").read_bytes())
    foreign = folder / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    future = folder / "future_version.pt"
    data = torch.load(good, map_location="cpu", weights_only=True)
    data["version"] = 99
    torch.save(data, future)
    return [("missing file", folder / "missing.pt", r"cannot load the model: model file not found"),
            ("truncated file", truncated, r"cannot load the model: cannot read model file .*truncated\.pt"),
            ("a JPEG named .pt", jpeg, r"photo\.pt is not a drm_ros model file \(not a PyTorch file"),
            ("a torch file that is not a drm_ros model", foreign, r"foreign\.pt is not a drm_ros model file"),
            ("model file version 99", future, r"model file version 99 is not supported")]


def run(driver: Driver, threads: int = 2, log=print) -> dict:
    from lifecycle_msgs.msg import Transition

    driver.new_node()
    rows = []
    with tempfile.TemporaryDirectory(prefix="drm_soak_models_") as tmp:
        bad = _bad_models(Path(tmp))
        node = NodeProcess({"lifecycle": "true", "num_threads": threads, "model_path": str(bad[0][1])},
                           label="model")
        try:
            deadline = time.monotonic() + 120
            while True:  # the lifecycle services appear once the process is up
                try:
                    driver.state()
                    break
                except RuntimeError:
                    if time.monotonic() > deadline or not node.alive():
                        raise
            log(f"model faults (node pid {node.pid}, lifecycle):")
            for i, (kind, path, pattern) in enumerate(bad):
                if i:
                    ok, reason = driver.set_param("model_path", str(path))
                    if not ok:
                        raise RuntimeError(f"model_path could not be set while unconfigured: {reason}")
                mark = len(node.lines)
                configured = driver.transition(Transition.TRANSITION_CONFIGURE)
                state = driver.state()
                try:
                    line = node.wait_for_line(pattern, 10, after=mark).strip()
                except RuntimeError:
                    line = ""
                ok = not configured and state == "unconfigured" and bool(line) and node.alive()
                rows.append({"kind": kind, "configure_succeeded": configured, "state": state, "error_line": line,
                             "ok": ok})
                log(f"  {kind:<42}: configure {'succeeded' if configured else 'failed'}, state '{state}', "
                    f"log: {line[line.find('cannot') if 'cannot' in line else line.find(']: ') + 3:][:110]!r}"
                    f" -> {'ok' if ok else 'FAILED'}")
            ok, reason = driver.set_param("model_path", "")
            configured = driver.transition(Transition.TRANSITION_CONFIGURE)
            activated = configured and driver.transition(Transition.TRANSITION_ACTIVATE)
            served = None
            if activated:
                driver.wait_subscribed()
                served = driver.serve(image_msg(real_frames(1)[0]), info_msg(), 6_000_000 * 10**9, timeout=10,
                                      retries=5)
            recovered = bool(served is not None and driver.state() == "active")
            log(f"  then the default model (model_path ''): configure {configured}, activate {activated}, frame "
                f"served {served is not None} ({len(served.skeletons) if served else 0} people) -> "
                f"{'recovered' if recovered else 'FAILED'}")
        finally:
            crash = node.stop()
    result = {"faults": rows, "faults_refused_cleanly": sum(r["ok"] for r in rows), "recovered": recovered,
              "frames_sent": 1, "frames_answered": int(served is not None), **crash}
    log(f"model faults: {result['faults_refused_cleanly']}/{len(rows)} refused with a clear error and left the node "
        f"unconfigured; recovered with a good path: {recovered}; crashes {crash['crashes']}")
    return result
