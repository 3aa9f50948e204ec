"""TorchScript export of the inference path gives the eager network's outputs."""
import torch

from drm_ros.export import example_camera, export
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig


def test_traced_inference_matches_eager(tmp_path, fixtures_dir):
    import cv2

    net = DRMNet(NetworkConfig(max_persons=6))
    net.load_state_dict(load_state(), strict=False)
    net.eval()
    img = cv2.resize(cv2.imread(str(fixtures_dir / "vtest_frame300.jpg"))[..., ::-1], (256, 192))
    x = torch.from_numpy(img.copy()).permute(2, 0, 1)[None].float()
    path = export(net, (256, 192), tmp_path / "drm.ts")
    loaded = torch.jit.load(str(path))
    camera = example_camera((256, 192))
    with torch.inference_mode():
        eager = net(x, camera)
        traced = loaded(x, camera)
    for a, b in zip(eager, traced):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    assert eager[0].shape == (1, 6)
