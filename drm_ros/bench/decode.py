"""`drm bench decode`: what the decode after the network (2D decode, PDQM sampling, depth MLP)
costs at each input size, and why it used to be slow inside TorchScript (issue 12: ~32 ms at
512x384 against ~6 ms eager).

Rows, each the median [p10-p90] ms of the decode alone on the same network maps:
  eager, plain maps          the maps in plain (NCHW) layout, as `drm bench model` timed "decode"
  eager, channels_last maps  the maps as the channels_last network leaves them (what TorchScript saw)
  TorchScript, before        trace of the decode straight on channels_last maps (the old pipeline)
  TorchScript, now           trace of `DRMNet.decode`: maps made plain first (one small copy)
  eager, passing slots only  the runtimes' decode: only slots whose centre score >= 0.2
and the whole TorchScript pipeline (network + decode in one trace) with the decode before and now.
What the estimator runs now is the last but two: TorchScript (or a runtime) for the dense part,
then the eager decode over the passing slots.
"""
from __future__ import annotations

import torch

from drm_ros.bench.model import load_default_net
from drm_ros.bench.timing import set_threads, summary, time_ms
from drm_ros.camera import Letterbox
from drm_ros.codec import decode_2d

SIZES = [(384, 288), (512, 384), (640, 480)]


def decode_before(net, center, kpt_regress, kpt_heatmap, kpt_offset, kpt_regress_hidden, trunk, camera_net=None):
    """`DRMNet.decode` as it was before this fix: no layout change."""
    dec = decode_2d(torch.sigmoid(center), kpt_regress, torch.sigmoid(kpt_heatmap), kpt_offset, net.config.max_persons)
    queried = net.query({"kpt_regress_hidden": kpt_regress_hidden}, dec["joints"])
    log_depth, dz, _ = net.depth(trunk, queried, dec["joints"], dec["root"], dec["joint_score"], camera_net)
    return dec["score"], dec["joints"], dec["joint_score"], log_depth, dz


class _Wrap(torch.nn.Module):
    def __init__(self, net, fn):
        super().__init__()
        self.net, self.fn = net, fn

    def forward(self, *args):
        return self.fn(self.net, *args)


def _trace(module, example):
    with torch.inference_mode(False), torch.no_grad():
        return torch.jit.freeze(torch.jit.trace(module.eval(), example, check_trace=False))


def run(threads: int = 2, repeats: int = 20) -> None:
    import warnings

    warnings.simplefilter("ignore")
    set_threads(threads)
    net, name = load_default_net()
    net = net.eval().to(memory_format=torch.channels_last)
    print(f"model: {name}; torch {torch.__version__}, {threads} threads; median [p10-p90] of {repeats} runs, ms; "
          f"maps of a real frame (sample_data/vtest) resized to each input size")
    import cv2

    from drm_ros.bench.backends import real_frame

    rgb, camera = real_frame()
    for w, h in SIZES:
        cn = torch.tensor(Letterbox.fit(camera.width, camera.height, w, h).network_intrinsics(camera), dtype=torch.float32)[None]
        x = torch.from_numpy(cv2.resize(rgb, (w, h))).permute(2, 0, 1)[None].float()
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.inference_mode():
            maps_cl = net.dense(x)
            maps = tuple(t.contiguous() for t in maps_cl)
        rows = {}
        ts_before = _trace(_Wrap(net, lambda n, *m: decode_before(n, *m, camera_net=cn)), maps_cl)
        ts_now = _trace(_Wrap(net, lambda n, *m: n.decode(*m, camera_net=cn)), maps_cl)
        full_before = _trace(_Wrap(net, lambda n, im: decode_before(n, *n.dense(im), camera_net=cn)), (x,))
        full_now = _trace(_Wrap(net, lambda n, im: n.decode(*n.dense(im), camera_net=cn)), (x,))
        with torch.inference_mode():
            rows["eager, plain maps"] = time_ms(lambda: decode_before(net, *maps, camera_net=cn), repeats)
            rows["eager, channels_last maps"] = time_ms(lambda: decode_before(net, *maps_cl, camera_net=cn), repeats)
            rows["TorchScript, before"] = time_ms(lambda: ts_before(*maps_cl), repeats)
            rows["TorchScript, now"] = time_ms(lambda: ts_now(*maps_cl), repeats)
            passing = int((net.decode(*maps_cl, min_score=0.2, camera_net=cn)[0] >= 0.2).sum())
            rows[f"eager, passing slots only ({passing} people)"] = time_ms(
                lambda: net.decode(*maps_cl, min_score=0.2, camera_net=cn), repeats)
            rows["whole TorchScript pipeline, before"] = time_ms(lambda: full_before(x), repeats)
            rows["whole TorchScript pipeline, now"] = time_ms(lambda: full_now(x), repeats)
        print(f"\ninput {w}x{h}")
        for label, ms in rows.items():
            print(f"  {label:<44} {summary(ms):>24}")
