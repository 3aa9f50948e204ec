"""`drm bench model`: forward and decode milliseconds of the default model at several input sizes,
and its forward FLOPs (issue: expect the MoveNet-sized network near 33 ms at 256x256)."""
from __future__ import annotations

import torch

from drm_ros.bench.timing import count_flops, set_threads, summary, time_ms
from drm_ros.camera import Camera, Letterbox
from drm_ros.codec import decode_2d, lift_to_3d
from drm_ros.export import example_camera, trace

SIZES = [(256, 256), (320, 320), (384, 384), (640, 480), (384, 288), (320, 256)]


def load_default_net():
    from drm_ros.checkpoint import load_model
    from drm_ros.paths import DEFAULT_MODEL, model_path

    net, info = load_model(model_path(DEFAULT_MODEL))
    return net, f"{DEFAULT_MODEL} ({info['meta'].get('name', '?')})"


def decode_all(net, m, camera, box):
    dec = decode_2d(torch.sigmoid(m["center"]), m["kpt_regress"], torch.sigmoid(m["kpt_heatmap"]), m["kpt_offset"],
                    net.config.max_persons)
    queried = net.query(m, dec["joints"]) if net.pdqm is not None else None
    camera_net = torch.tensor(box.network_intrinsics(camera), dtype=torch.float32)[None]
    log_d, dz, lift = net.depth(net.depth_trunk(m["features"]), queried, dec["joints"], dec["root"], dec["joint_score"],
                                camera_net)
    keep = dec["score"][0] > 0.2
    return lift_to_3d(dec["joints"][0][keep].numpy(), dec["joint_score"][0][keep].numpy(), dec["score"][0][keep].numpy(),
                      log_d[0][keep].numpy(), dz[0][keep].numpy(), box, camera, lift[0][keep].numpy())


def run(threads: int = 2, repeats: int = 20, backend: str | None = None) -> None:
    """The per-size table of the eager/TorchScript network, then one row per inference backend
    installed. With `backend`, only backend rows: that backend's and torch's (its reference);
    `auto`: every installed backend's."""
    set_threads(threads)
    net, name = load_default_net()
    if backend:
        from drm_ros.bench.backends import run_backends

        print(f"model: {name}; torch {torch.__version__}")
        run_backends(net, threads, repeats, None if backend == "auto" else [backend])
        return
    camera = Camera.default_for(640, 480)
    print(f"model: {name}; torch {torch.__version__}, {threads} threads; median [p10-p90] of {repeats} runs, ms")
    print(f"{'input WxH':>10} | {'backbone+heads':>22} | {'decode+depth+lift':>22} | {'TorchScript total':>22} | GFLOPs")
    for w, h in SIZES:
        x = torch.rand(1, 3, h, w) * 255
        box = Letterbox.fit(640, 480, w, h)
        with torch.inference_mode():
            fwd = time_ms(lambda: net.maps(x), repeats)
            m = net.maps(x)
            dec = time_ms(lambda: decode_all(net, m, camera, box), repeats)
            cn = example_camera((w, h))
            flops = count_flops(lambda: net(x, cn))
        traced = trace(net, (w, h))
        with torch.inference_mode():
            ts = time_ms(lambda: traced(x, cn), repeats)
        print(f"{w:>5}x{h:<4} | {summary(fwd):>22} | {summary(dec):>22} | {summary(ts):>22} | {flops / 1e9:6.2f}")

    from drm_ros.bench.backends import run_backends

    run_backends(net, threads, repeats)
