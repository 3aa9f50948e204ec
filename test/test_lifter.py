"""The pose lifter inside the depth read-out, its render-free pretraining, and the model file
that stores only what was trained."""
import numpy as np
import pytest
import torch
import yaml

from drm_ros.checkpoint import ModelError, load_model, save_model
from drm_ros.codec import J2D
from drm_ros.lifter import PoseLifter, lifter_input, spread_px
from drm_ros.movenet_weights import load_state
from drm_ros.network import DRMNet, NetworkConfig
from drm_ros.paths import DEFAULT_MODEL, model_path
from drm_ros.training.config import TrainConfig
from drm_ros.training.lifting import (
    BOUND_MOTION, NoisePool, load_or_sample, make_batch, matched_donors, pose_signature, sample_projected,
)
from drm_ros.training.trainer import train


def test_lifter_input_is_scale_and_translation_free():
    g = torch.Generator().manual_seed(0)
    joints = torch.rand(4, J2D, 2, generator=g) * 100
    root = joints[:, 11:13].mean(1)
    score = torch.rand(4, J2D, generator=g)
    a, log_s = lifter_input(joints, root, score)
    b, log_s2 = lifter_input(joints * 3 + 7, root * 3 + 7, score)
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(log_s2 - log_s, torch.full((4,), float(np.log(3))), atol=1e-5)


def test_weak_perspective_target_recovers_depth():
    """log S - log spread is log(Z / f): with the exact target as log S the root depth is exact."""
    people = {k: torch.from_numpy(v) for k, v in
              sample_projected(30, "config/synth/test_near.yaml", 0, (384, 288)).items()}
    features, log_spread, dz, log_size, shift = make_batch(people, torch.arange(30), NoisePool.clean(),
                                                           torch.zeros(30, dtype=torch.long))
    z = torch.exp(log_size - log_spread) * people["f_net"]
    assert torch.allclose(z, people["joints3d"][:, -1, 2], rtol=1e-4)
    assert features.shape == (30, 3 * J2D) and dz.shape == (30, J2D)
    assert torch.equal(shift, torch.zeros(30, J2D, 2))  # clean 2D: nothing to correct
    assert float(people["joints3d"][:, -1, 2].min()) >= 1.0 and float(people["joints3d"][:, -1, 2].max()) <= 9.5


def test_mirrored_people_keep_their_depths_and_swap_sides():
    """Mirror augmentation: depth targets of a mirrored person are the original's with left and
    right swapped; the root depth and the person's 2D spread do not change."""
    people = {k: torch.from_numpy(v) for k, v in
              sample_projected(12, "config/synth/test_near.yaml", 1, (384, 288)).items()}
    idx, noise = torch.arange(12), torch.zeros(12, dtype=torch.long)
    flip = torch.arange(12) % 2 == 0
    _, spread, dz, size, _ = make_batch(people, idx, NoisePool.clean(), noise)
    f_m, spread_m, dz_m, size_m, _ = make_batch(people, idx, NoisePool.clean(), noise, flip)
    left, right = 5, 6  # shoulders
    assert torch.allclose(dz_m[flip][:, left], dz[flip][:, right]) and torch.allclose(dz_m[~flip], dz[~flip])
    assert torch.allclose(size_m, size, atol=1e-5) and torch.allclose(spread_m, spread, atol=1e-5)
    shape = f_m[:, : 2 * J2D].unflatten(-1, (J2D, 2))
    original = make_batch(people, idx, NoisePool.clean(), noise)[0][:, : 2 * J2D].unflatten(-1, (J2D, 2))
    assert torch.allclose(shape[flip][:, left, 0], -original[flip][:, right, 0], atol=1e-5)


def test_flip_averaged_lifter_is_mirror_equivariant():
    """Flip averaging makes any lifter answer a mirrored person with the mirrored relative depths
    and 2D shifts."""
    from drm_ros.lifter import flip_averaged, mirror_features
    from drm_ros.skeleton import FLIP_INDEX

    torch.manual_seed(0)
    lifter = PoseLifter(J2D, 32, 1, dropout=0.0, refine_2d=True).eval()
    torch.nn.init.normal_(lifter.shift.weight, std=0.1)  # a non-zero shift, so its mirroring is checked
    f = torch.cat([torch.randn(5, 2 * J2D), torch.rand(5, J2D)], dim=-1)
    assert torch.equal(mirror_features(mirror_features(f, J2D), J2D), f)
    flip = list(FLIP_INDEX[:J2D])
    dz, size, shift, _ = flip_averaged(lifter, f)
    dz_m, size_m, shift_m, _ = flip_averaged(lifter, mirror_features(f, J2D))
    assert torch.allclose(dz_m, dz[:, flip], atol=1e-5)
    assert torch.equal(size, lifter(f)[1])  # log S is the unmirrored input's (see flip_averaged)
    assert torch.allclose(shift_m[..., 0], -shift[:, flip, 0], atol=1e-5)
    assert torch.allclose(shift_m[..., 1], shift[:, flip, 1], atol=1e-5)
    assert not torch.allclose(dz, lifter(f)[0], atol=1e-3)  # it does change a lifter that is not symmetric


def test_lifter_head_starts_at_the_lifter():
    """The image-feature correction is zero at initialisation: DRM's depth = the lifter's."""
    net = DRMNet(NetworkConfig(lifter=True, lifter_width=32, lifter_blocks=1, depth_channels=8, depth_hidden=16)).eval()
    joints = torch.rand(1, 2, J2D, 2) * 50 + 100
    root = joints[:, :, 11:13].mean(2)
    score = torch.rand(1, 2, J2D)
    log_depth, dz, lift = net.depth(torch.rand(1, 8, 10, 12), torch.rand(1, 2, J2D, 96), joints, root, score)
    f, log_spread = lifter_input(joints, root, score)
    dz0, log_size, _, _ = net.depth_head.lifter(f)
    assert torch.allclose(dz, dz0) and torch.allclose(log_depth, log_size - log_spread)
    assert torch.equal(lift, joints)


def test_refining_lifter_shifts_the_joints_it_lifts():
    """With lifter_refine_2d the 3D is lifted from the lifter's shifted joints: unshifted at
    initialisation, moved by exactly shift x spread when the lifter's shift layer says so, and the
    2D loss is the sideways error in metres at the true depth."""
    from drm_ros.losses import lift_2d_loss

    net = DRMNet(NetworkConfig(lifter=True, lifter_width=32, lifter_blocks=1, depth_channels=8, depth_hidden=16,
                               lifter_refine_2d=True)).eval()
    joints = torch.rand(1, 2, J2D, 2) * 50 + 100
    root = joints[:, :, 11:13].mean(2)
    score = torch.rand(1, 2, J2D)
    args = (torch.rand(1, 8, 10, 12), torch.rand(1, 2, J2D, 96), joints, root, score)
    assert torch.equal(net.depth(*args)[2], joints)
    with torch.no_grad():
        net.depth_head.lifter.shift.bias[0] = 0.5  # nose x: half a spread to the right
    lift = net.depth(*args)[2]
    _, log_spread = lifter_input(joints, root, score)
    assert torch.allclose(lift[..., 0, 0] - joints[..., 0, 0], 0.5 * log_spread.exp(), atol=1e-4)
    assert torch.allclose(lift[..., 1:, :], joints[..., 1:, :])
    # 2 px off at Z = 5 m with f = 500 px: 0.02 m sideways, averaged over 2 coordinates of 1 joint in 2
    gt = torch.zeros(1, 2, 2)
    est = gt.clone()
    est[0, 0, 0] = 2.0
    j3d = torch.zeros(1, 3, 3)
    j3d[..., 2] = 5.0
    assert torch.isclose(lift_2d_loss(est, gt, j3d, torch.tensor([500.0]), torch.ones(1, 2)), torch.tensor(0.02 / 4))


def test_model_file_stores_only_the_trained_part(tmp_path):
    net, info = load_model(model_path(DEFAULT_MODEL))
    path = save_model(tmp_path / "m.pt", net, info["input_size"], {"x": 1}, half=True, int8=info["version"] == 3)
    stored = torch.load(path, weights_only=True)["state_dict"]
    assert stored and not any(k.startswith(("backbone.", "heads.")) for k in stored)  # MoveNet: by sha256 only
    assert path.stat().st_size < 2e6  # 9.5 MB of MoveNet are not in it (the default model: 1.56 MB)
    net2, info2 = load_model(path)
    assert info2["version"] == info["version"] and info2["base"]["file"] == "movenet_multipose.pt"
    for (k, a), b in zip(net.state_dict().items(), net2.state_dict().values()):
        assert torch.equal(a, b), k
    # a model built on other MoveNet weights is refused, clearly
    data = torch.load(path, weights_only=True)
    data["base"]["sha256"] = "0" * 64
    torch.save(data, tmp_path / "other_base.pt")
    with pytest.raises(ModelError, match="builds on MoveNet weights"):
        load_model(tmp_path / "other_base.pt")
    data["version"] = 99
    torch.save(data, tmp_path / "future.pt")
    with pytest.raises(ModelError, match="version 99 is not supported"):
        load_model(tmp_path / "future.pt")


def test_8bit_storage_restores_the_weights_closely(tmp_path):
    """Version 3: the big matrices row-wise 8-bit: each weight within half a step of its row's
    scale, the file much smaller, everything else as in version 2."""
    net, info = load_model(model_path(DEFAULT_MODEL))
    v2 = save_model(tmp_path / "v2.pt", net, info["input_size"], half=True)
    v3 = save_model(tmp_path / "v3.pt", net, info["input_size"], half=True, int8=True)
    assert torch.load(v3, weights_only=True)["version"] == 3 and torch.load(v3, weights_only=True)["int8"]
    assert v3.stat().st_size < 0.7 * v2.stat().st_size
    net2, _ = load_model(v2)
    net3, _ = load_model(v3)
    for (k, a), b in zip(net2.state_dict().items(), net3.state_dict().values()):
        step = a.abs().amax(dim=1, keepdim=True) / 127 if a.ndim == 2 else torch.tensor(0.0)
        assert ((a - b).abs() <= 0.51 * step + 1e-3 * a.abs() + 1e-6).all(), k


def test_version_1_files_still_load(tmp_path):
    net = DRMNet(NetworkConfig(depth_channels=8, depth_hidden=16))
    net.load_state_dict(load_state(), strict=False)
    torch.save({"format": "drm_ros-model", "version": 1, "network": net.config.to_dict(), "input_size": [192, 160],
                "state_dict": net.state_dict(), "meta": {}}, tmp_path / "v1.pt")
    net2, _ = load_model(tmp_path / "v1.pt")
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), net2.state_dict().values()))


@pytest.mark.parametrize("ray", [False, True])
def test_pretrain_then_finetune_with_the_lifter_fixed(tmp_path, ray):
    from drm_ros.cli import main as drm
    from drm_ros.data.load import load_any
    from drm_ros.imageio import read_rgb
    from drm_ros.inference import PoseEstimator

    data = tmp_path / "tiny"
    assert drm(["synth", "--out", str(data), "--num", "4", "--seed", "5", "--workers", "0"]) == 0
    lcfg = {"people": 200, "val_people": 50, "steps": 20, "batch_size": 32, "width": 32, "blocks": 1,
            "input_size": [192, 160], "noise_data": [str(data)], "out_dir": str(tmp_path / "lifter"),
            "synth_configs": ["config/synth/train.yaml"], "ray_input": ray, "noise_match": 4 if ray else 0}
    (tmp_path / "l.yaml").write_text(yaml.safe_dump(lcfg))
    assert drm(["pretrain-lifter", "--config", str(tmp_path / "l.yaml")]) == 0
    lifter_file = tmp_path / "lifter" / "lifter.pt"
    network = {"depth_channels": 8, "depth_hidden": 16, "lifter": True, "lifter_width": 32, "lifter_blocks": 1,
               "lifter_ray": ray}
    cfg = {"name": "tiny", "train_data": [str(data)], "input_size": [192, 160], "epochs": 1, "batch_size": 2,
           "out_dir": str(tmp_path / "run"), "init_lifter": str(lifter_file), "network": network}
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(cfg))
    net, info = load_model(train(TrainConfig.load(tmp_path / "t.yaml")))
    pretrained = torch.load(lifter_file, weights_only=True)["state_dict"]
    for k, v in pretrained.items():
        assert torch.equal(net.depth_head.lifter.state_dict()[k], v), k  # fixed during fine-tuning
    assert net.depth_head.lifter.ray_input == ray and net.config.lifter_ray == ray  # and so stored in the file
    sample = load_any(str(data))[0]
    poses = PoseEstimator(net, (192, 160), score_threshold=0.0).estimate(read_rgb(sample.image_path), sample.camera)
    assert len(poses) and np.isfinite(poses.joints3d).all()
    if ray:  # a lifter must match the network it initialises; a ray lifter cannot run without the camera
        (tmp_path / "m.yaml").write_text(yaml.safe_dump({**cfg, "network": {**network, "lifter_ray": False}}))
        with pytest.raises(ValueError, match="ray_input=True but the network has lifter_ray=False"):
            train(TrainConfig.load(tmp_path / "m.yaml"))
        j = torch.rand(1, 1, J2D, 2) * 50 + 50
        with pytest.raises(ValueError, match="pass camera_net"):
            net.depth(torch.rand(1, 8, 10, 12), torch.rand(1, 1, J2D, 96), j, j[:, :, 11:13].mean(2), torch.rand(1, 1, J2D))
        # a lifter that has seen the test motions is a bound, never the start of a model
        bound = torch.load(lifter_file, weights_only=True)
        bound["config"]["motion"] = BOUND_MOTION
        torch.save(bound, tmp_path / "bound.pt")
        (tmp_path / "b.yaml").write_text(yaml.safe_dump({**cfg, "init_lifter": str(tmp_path / "bound.pt")}))
        with pytest.raises(ValueError, match="held-out test motions"):
            train(TrainConfig.load(tmp_path / "b.yaml"))


def test_pose_matched_noise_draws_from_people_posed_alike():
    rng = np.random.default_rng(0)
    base = torch.from_numpy(rng.uniform(100, 200, (2, J2D, 2))).float()
    donors = torch.cat([base[[0]] + torch.randn(5, J2D, 2), base[[1]] + torch.randn(5, J2D, 2)])
    pool = NoisePool(torch.zeros(10, J2D, 2), torch.ones(10, J2D), donors)
    near = matched_donors(base, pool, 5, (384, 288))
    assert set(near[0].tolist()) == {0, 1, 2, 3, 4} and set(near[1].tolist()) == {5, 6, 7, 8, 9}
    outside = base[[0]].clone()
    outside[0, -2:, 1] = 400  # both ankles below the image: truncation is part of the match
    sig_in, sig_out = pose_signature(base[[0]], (384, 288)), pose_signature(outside, (384, 288))
    assert sig_in[0, 2 * J2D:3 * J2D].tolist() == [2.0] * J2D  # weight 2 per joint inside
    assert sig_out[0, 2 * J2D:3 * J2D].tolist() == [2.0] * (J2D - 2) + [0.0, 0.0]


def test_training_clips_setting_never_includes_held_out_motion():
    from drm_ros.synth.motion import MotionLibrary, held_out_clips

    lib = MotionLibrary("training")
    assert len(lib.clips) > 50 and not set(lib.clips) & held_out_clips()
    assert {"walk", "cmu_01_01"} <= set(lib.clips)


def test_cached_people_follow_the_config_contents_not_its_path(tmp_path):
    """The same config path with other contents (or other motion assets) must not reuse stale people."""
    cfg = tmp_path / "split.yaml"
    cfg.write_text("clips: [walk]\npeople: {count: [1, 2], distance_m: [2.0, 4.0]}\n")
    first = load_or_sample(tmp_path, "people", 8, str(cfg), 0, (384, 288))
    assert load_or_sample(tmp_path, "people", 8, str(cfg), 0, (384, 288))["joints3d"].tolist() == first["joints3d"].tolist()
    cfg.write_text("clips: [walk]\npeople: {count: [1, 2], distance_m: [6.0, 8.0]}\n")
    farther = load_or_sample(tmp_path, "people", 8, str(cfg), 0, (384, 288))
    assert len(list(tmp_path.glob("people_*.npz"))) == 2
    assert farther["joints3d"][:, :, 2].min() > first["joints3d"][:, :, 2].max()


def test_ray_input_is_the_roots_viewing_direction_and_mirrors_with_the_scene():
    """With `ray_input` the lifter's features end with the root's ray (x/z, y/z): for clean 2D it is
    the 3D root's own direction (the 2D root is the hips' midpoint, so within a hair); a mirrored
    person is seen along the mirrored ray, and `mirror_features` maps one input to the other."""
    from drm_ros.lifter import mirror_features

    people = {k: torch.from_numpy(v) for k, v in
              sample_projected(16, "config/synth/test_near.yaml", 2, (384, 288)).items()}
    idx, noise = torch.arange(16), torch.zeros(16, dtype=torch.long)
    features = make_batch(people, idx, NoisePool.clean(), noise, ray_input=True)[0]
    assert features.shape == (16, 3 * J2D + 2)
    root = people["joints3d"][:, -1]
    assert torch.allclose(features[:, -2:], root[:, :2] / root[:, 2:], atol=2e-3)
    assert torch.equal(features[:, : 3 * J2D], make_batch(people, idx, NoisePool.clean(), noise)[0])
    flipped = make_batch(people, idx, NoisePool.clean(), noise, torch.ones(16, dtype=torch.bool), ray_input=True)[0]
    assert torch.allclose(mirror_features(features, J2D), flipped, atol=1e-5)
    lifter = PoseLifter(J2D, 32, 1, dropout=0.0, ray_input=True).eval()
    assert lifter(features)[0].shape == (16, J2D)
