"""Training end to end on a tiny synthetic set: cache, steps, checkpoint, resume, model file."""
import numpy as np
import pytest
import torch
import yaml

from drm_ros.camera import Camera
from drm_ros.checkpoint import ModelError, load_model
from drm_ros.cli import main as drm
from drm_ros.inference import PoseEstimator
from drm_ros.movenet_weights import load_state
from drm_ros.training.config import TrainConfig
from drm_ros.training.trainer import train


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "tiny"
    assert drm(["synth", "--out", str(out), "--num", "6", "--seed", "5", "--workers", "0"]) == 0
    return out


def _config(tmp_path, data, **over):
    cfg = {"name": "tiny", "train_data": [str(data)], "input_size": [192, 160], "epochs": 1, "batch_size": 3,
           "out_dir": str(tmp_path / "run"), "network": {"depth_channels": 8, "depth_hidden": 16}}
    cfg.update(over)
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("depth_loss,pdqm", [("dapl", True), ("l1", False)])
def test_train_resume_and_load(tmp_path, tiny_dataset, depth_loss, pdqm):
    cfg = TrainConfig.load(_config(tmp_path, tiny_dataset, depth_loss=depth_loss,
                                   network={"pdqm": pdqm, "depth_channels": 8, "depth_hidden": 16}))
    model = train(cfg)
    net, info = load_model(model)
    assert info["input_size"] == [192, 160] and (net.pdqm is not None) == pdqm
    # the 2D branch stayed exactly MoveNet's (frozen)
    ref = load_state()
    assert torch.equal(net.state_dict()["heads.heads.center.out.weight"], ref["heads.heads.center.out.weight"])
    # resuming with more epochs continues from the checkpoint instead of starting over
    cfg.epochs = 2
    train(cfg)
    log = (tmp_path / "run" / "train.log").read_text()
    assert "resumed from" in log and "epoch 2/2" in log
    est = PoseEstimator.from_file(model)
    poses = est.estimate(np.zeros((160, 192, 3), np.uint8), Camera.default_for(192, 160))
    assert len(poses) == 0  # a black image has nobody in it


def test_unknown_config_key_is_an_error(tmp_path, tiny_dataset):
    with pytest.raises(ValueError, match="unknown training config keys"):
        TrainConfig.load(_config(tmp_path, tiny_dataset, epoch=3))


def test_corrupt_model_file_gives_one_clear_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"PK\x03\x04 not really a model")
    with pytest.raises(ModelError, match="cannot read model file"):
        load_model(bad)
    photo = tmp_path / "photo.pt"  # a wrong file picked: named in one line, no torch paragraph
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    with pytest.raises(ModelError, match=r"photo.pt is not a drm_ros model file \(not a PyTorch file"):
        load_model(photo)


def test_frozen_backbone_trains_the_2d_heads_from_the_cache(tmp_path, tiny_dataset):
    cfg = TrainConfig.load(_config(tmp_path, tiny_dataset, freeze="backbone", lr=1e-2))
    net, _ = load_model(train(cfg))
    ref = load_state()
    state = net.state_dict()
    backbone = [k for k in ref if k.startswith("backbone.")]
    assert backbone and all(torch.equal(state[k], ref[k]) for k in backbone)
    assert not torch.equal(state["heads.heads.kpt_offset.out.weight"], ref["heads.heads.kpt_offset.out.weight"])
    assert "feature cache" in (tmp_path / "run" / "train.log").read_text()


def test_fine_tune_a_whole_model_from_its_file(tmp_path, tiny_dataset):
    first = train(TrainConfig.load(_config(tmp_path, tiny_dataset)))
    trained = load_model(first)[0].state_dict()
    # lr 0: the run starts from the file's weights, every one of them (depth branch included)
    cfg = TrainConfig.load(_config(tmp_path, tiny_dataset, init=str(first), freeze="none", lr=0.0,
                                   out_dir=str(tmp_path / "same")))
    same = load_model(train(cfg))[0].state_dict()
    assert all(torch.equal(same[k], trained[k]) for k in trained)
    # and with a learning rate the backbone moves too (freeze: none)
    cfg = TrainConfig.load(_config(tmp_path, tiny_dataset, init=str(first), freeze="none", lr=1e-2,
                                   out_dir=str(tmp_path / "moved")))
    moved = load_model(train(cfg))[0].state_dict()
    first_conv = next(k for k, v in trained.items() if k.startswith("backbone.") and v.ndim == 4)
    assert not torch.equal(moved[first_conv], trained[first_conv])
    other = TrainConfig.load(_config(tmp_path, tiny_dataset, init=str(first), out_dir=str(tmp_path / "other"),
                                     network={"depth_channels": 8, "depth_hidden": 32}))
    with pytest.raises(ValueError, match="they must match"):
        train(other)


def test_unknown_freeze_mode_and_empty_schedule_are_errors(tmp_path, tiny_dataset):
    with pytest.raises(ValueError, match="freeze must be one of"):
        TrainConfig.load(_config(tmp_path, tiny_dataset, freeze="heads"))
    with pytest.raises(ValueError, match="epochs and batch_size must be >= 1"):
        TrainConfig.load(_config(tmp_path, tiny_dataset, epochs=0))


@pytest.mark.slow
@pytest.mark.parametrize("freeze", ["none", "2d", "backbone"])
def test_ddp_under_torchrun(tmp_path, tiny_dataset, freeze):
    """Two CPU ranks (gloo) under torchrun, full-image and both cached modes; rank 0 writes the model."""
    import subprocess
    import sys

    cfg = _config(tmp_path, tiny_dataset, freeze=freeze, batch_size=2, threads=1)
    port = 29500 + ["none", "2d", "backbone"].index(freeze)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(port), "-m", "drm_ros", "train", "--config", str(cfg)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    net, info = load_model(tmp_path / "run" / "model.pt")
    assert info["meta"]["config"]["freeze"] == freeze


def test_feature_cache_is_one_file_per_dataset_joined_in_order(tmp_path, tiny_dataset):
    from drm_ros.data.load import load_any
    from drm_ros.training.cache import load_or_build
    from drm_ros.training.trainer import build_network

    cfg = TrainConfig.load(_config(tmp_path, tiny_dataset))
    net = build_network(cfg)
    first = load_any(tiny_dataset)
    second = first[:2]  # a second "dataset": a different folder key, same images
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "annotations.json").write_text((tiny_dataset / "annotations.json").read_text())
    joined = load_or_build(net, [(str(tiny_dataset), first), (str(tmp_path / "second"), second)], (192, 160),
                           tmp_path / "cache", 0.3, log=lambda m: None)
    alone = load_or_build(net, [(str(tiny_dataset), first)], (192, 160), tmp_path / "cache", 0.3, log=lambda m: None)
    assert len(list((tmp_path / "cache").glob("cache_*.pt"))) == 2
    n1 = len(first)
    assert joined["features"].shape[0] == n1 + 2
    assert torch.equal(joined["features"][n1:], alone["features"][:2])
    tail = joined["image"] >= n1  # the second dataset's people point at its own (offset) images
    assert torch.equal(joined["image"][tail] - n1, alone["image"][alone["image"] < 2])
