"""PDQM samples where it should; DAPL's two terms feed root depth and relative depth separately."""
import numpy as np
import torch

from drm_ros.codec import STRIDE
from drm_ros.losses import dapl, focal_loss, plain_depth_l1
from drm_ros.network import DRMNet, NetworkConfig
from drm_ros.pdqm import PDQM, pose_geometry, sample_at
from drm_ros.skeleton import ROOT


def test_sample_at_reads_the_intended_locations():
    h, w = 12, 16
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32), torch.arange(w, dtype=torch.float32), indexing="ij")
    feat = torch.stack([xs, ys])[None]  # channel 0 = cell x, channel 1 = cell y
    # network pixel of the centre of cell (x, y) is STRIDE * (x + 0.5) - 0.5
    cells = torch.tensor([[3.0, 2.0], [10.0, 7.0], [4.5, 9.25]])
    pts = (STRIDE * (cells + 0.5) - 0.5)[None, None]  # (1, 1, 3, 2)
    out = sample_at(feat, pts)[0, 0]
    torch.testing.assert_close(out, cells)  # bilinear between cells too


def test_pdqm_gets_gradient_from_every_joint_query():
    pdqm = PDQM(8, 17, dim=4)
    queried = torch.randn(2, 3, 17, 8, requires_grad=True)
    joints = torch.rand(2, 3, 17, 2) * 100
    out = pdqm(queried, joints, joints.mean(2))
    assert out.shape == (2, 3, pdqm.out_dim)
    out.sum().backward()
    assert (queried.grad.abs().sum(-1) > 0).float().mean() > 0.5


def test_pose_geometry_is_scale_free_but_keeps_size():
    joints = torch.rand(1, 1, 17, 2) * 50
    root = joints.mean(2)
    a, b = pose_geometry(joints, root), pose_geometry(joints * 2, root * 2)
    torch.testing.assert_close(a[..., :-1], b[..., :-1])
    torch.testing.assert_close(b[..., -1] - a[..., -1], torch.full((1, 1), float(np.log(2))))


def _gt(n=4):
    g = torch.Generator().manual_seed(0)
    joints = torch.randn(n, 18, 3, generator=g) * 0.3
    joints[..., 2] += 5.0
    joints[:, ROOT] = 0.5 * (joints[:, 11] + joints[:, 12])
    return joints


def test_dapl_decouples_root_and_relative_depth():
    gt = _gt()
    z_root = torch.full((4,), 5.5, requires_grad=True)
    dz = torch.zeros(4, 17, requires_grad=True)
    mask = torch.ones(4, 17)
    terms = dapl(z_root, dz, gt, ROOT, mask)
    g_root_from_root = torch.autograd.grad(terms["root"], [z_root, dz], allow_unused=True)
    g_root_from_rel = torch.autograd.grad(terms["rel"], [z_root, dz], allow_unused=True)
    assert g_root_from_root[0].abs().sum() > 0 and g_root_from_root[1] is None  # only root depth
    assert g_root_from_rel[0] is None and g_root_from_rel[1].abs().sum() > 0  # only relative depths
    # perfect predictions give zero loss
    z_true = gt[:, ROOT, 2]
    dz_true = gt[:, :17, 2] - z_true[:, None]
    assert dapl(z_true, dz_true, gt, ROOT, mask)["total"].item() < 1e-6
    assert plain_depth_l1(z_true, dz_true, gt, ROOT, mask)["total"].item() < 1e-6


def test_dapl_weights_depth_error_along_the_ray():
    gt = _gt(1)
    z_true = gt[:, ROOT, 2]
    dz_true = gt[:, :17, 2] - z_true[:, None]
    mask = torch.ones(1, 17)
    # a 10 cm root depth error costs at least 10 cm (z) plus the shift along each joint's ray
    loss = dapl(z_true + 0.1, dz_true, gt, ROOT, mask)["root"].item() * 3  # masked_l1 averages x, y, z
    assert loss > 0.1


def test_relative_dapl_divides_each_persons_error_by_its_depth():
    gt = _gt(1)
    z_true = gt[:, ROOT, 2]
    dz_true = gt[:, :17, 2] - z_true[:, None]
    mask = torch.ones(1, 17)
    metric = dapl(z_true + 0.1, dz_true + 0.05, gt, ROOT, mask)
    relative = dapl(z_true + 0.1, dz_true + 0.05, gt, ROOT, mask, relative=True)
    for k in ("root", "rel"):
        assert torch.allclose(relative[k], metric[k] / z_true[0])


def test_focal_loss_prefers_the_right_peak():
    target = torch.zeros(1, 1, 8, 8)
    target[0, 0, 4, 4] = 1
    good = torch.full((1, 1, 8, 8), -6.0)
    good[0, 0, 4, 4] = 6
    bad = torch.full((1, 1, 8, 8), -6.0)
    bad[0, 0, 1, 1] = 6
    assert focal_loss(good, target) < 0.01 < focal_loss(bad, target)


def test_network_shapes_and_pdqm_switch():
    x = torch.rand(1, 3, 128, 160) * 255
    for pdqm in (True, False):
        net = DRMNet(NetworkConfig(pdqm=pdqm, max_persons=5)).eval()
        with torch.inference_mode():
            score, joints, jscore, log_d, dz, lift = net(x)
        assert score.shape == (1, 5) and joints.shape == (1, 5, 17, 2) and dz.shape == (1, 5, 17)
        assert (net.pdqm is None) != pdqm
