"""Exposure normalisation (drm_ros/exposure.py): only dark images change, and they come out lit."""
import cv2
import numpy as np
import pytest

from drm_ros.exposure import (DARK_LUMA, EXPOSURE_MODES, MAX_GAIN, TARGET_LUMA, darken, denoise_chroma, expose,
                               is_dark, mean_log_luma, normalise_exposure, score_threshold_for)
from drm_ros.imageio import read_rgb
from drm_ros.paths import share_dir


@pytest.fixture(scope="module")
def frame():
    return read_rgb(share_dir() / "sample_data" / "vtest" / "frame_0260.jpg")


def test_a_normally_lit_frame_passes_untouched(frame):
    assert not is_dark(frame)
    for mode in EXPOSURE_MODES:
        assert normalise_exposure(frame, mode) is frame


@pytest.mark.parametrize("mode", ["gain", "gamma", "clahe"])
def test_a_darkened_frame_is_brought_back_towards_normal(frame, mode):
    dim = darken(frame, 0.2, np.random.default_rng(0))
    assert is_dark(dim)
    out = normalise_exposure(dim, mode)
    assert out.dtype == np.uint8 and out.shape == dim.shape
    assert mean_log_luma(out) > DARK_LUMA
    if mode == "gamma":  # one monotone curve: the order of brightness is kept, pixel by pixel
        order = np.argsort(dim[..., 1].ravel(), kind="stable")
        assert np.all(np.diff(out[..., 1].ravel()[order].astype(int)) >= 0)
    assert normalise_exposure(dim, "off") is dim


def test_bad_input_is_left_for_the_estimator_to_refuse():
    gray = np.zeros((10, 10), np.uint8)
    assert normalise_exposure(gray, "gamma") is gray
    with pytest.raises(ValueError, match="exposure must be one of"):
        normalise_exposure(np.zeros((4, 4, 3), np.uint8), "auto")


def test_darken_scales_light_and_adds_noise(frame):
    dim = darken(frame, 0.2, np.random.default_rng(0))
    assert abs(dim.mean() / frame.mean() - 0.2) < 0.02
    assert np.std(dim.astype(float) - 0.2 * frame) > 1.0  # noisy, like a dim sensor


def test_gain_undoes_an_underexposure_as_a_scaling(frame):
    """Without noise, a frame at 25 % light comes back close to the original pixel values (a
    gamma would bend the tones instead), since vtest's own mean sits near TARGET_LUMA."""
    dim = (frame * 0.25).round().astype(np.uint8)
    out = normalise_exposure(dim, "gain")
    assert abs(mean_log_luma(out) - TARGET_LUMA) < 0.02
    gain = out.astype(float).sum() / dim.astype(float).sum()
    assert 0.9 * TARGET_LUMA / mean_log_luma(dim) < gain < 1.1 * TARGET_LUMA / mean_log_luma(dim)
    assert np.abs(out.astype(int) - frame.astype(int)).mean() < 8


def test_gain_is_capped_on_a_nearly_black_frame(frame):
    black = (frame * 0.01).round().astype(np.uint8)
    out = normalise_exposure(black, "gain")
    assert out.astype(float).mean() <= 1.02 * MAX_GAIN * black.astype(float).mean()


def test_chroma_denoise_smooths_colour_speckle_and_keeps_luminance(frame):
    clean = (frame * 0.2).round().astype(np.uint8)
    dim = darken(frame, 0.2, np.random.default_rng(0))
    y_clean, y_in, y_out = (cv2.cvtColor(im, cv2.COLOR_RGB2YCrCb).astype(float)
                            for im in (clean, dim, denoise_chroma(dim)))
    assert np.abs(y_out[..., 0] - y_in[..., 0]).mean() < 1.0  # luminance: rounding only
    colour_noise_in = np.abs(y_in[..., 1:] - y_clean[..., 1:]).mean()
    assert np.abs(y_out[..., 1:] - y_clean[..., 1:]).mean() < 0.6 * colour_noise_in


def test_expose_says_which_images_it_found_dark(frame):
    dim = darken(frame, 0.2, np.random.default_rng(0))
    assert expose(frame, "gain") == (frame, False)
    shown, dark = expose(dim, "gain")
    assert dark and np.array_equal(shown, normalise_exposure(dim, "gain"))
    assert expose(dim, "off") == (dim, False)  # off never meters: nothing is dark
    assert expose(np.zeros((10, 10), np.uint8), "gain")[1] is False


def test_the_dark_threshold_only_ever_lowers_and_only_on_dark_images():
    assert score_threshold_for(0.2, 0.17, dark=True) == 0.17
    assert score_threshold_for(0.2, 0.17, dark=False) == 0.2
    assert score_threshold_for(0.2, 0.5, dark=True) == 0.2
    assert score_threshold_for(0.3, None, dark=True) == 0.3


@pytest.fixture(scope="module")
def estimator():
    from drm_ros.inference import PoseEstimator

    return PoseEstimator.from_file()


def test_a_dark_frame_is_seen_at_the_dark_threshold_and_a_lit_one_at_the_usual(frame, estimator):
    """MultiPassEstimator: on the darkened frame, exactly the people one pass at the dark threshold
    finds on the brightened image; on the lit frame, those of the usual threshold; the estimator's
    own threshold is left as it was."""
    from drm_ros.camera import Camera
    from drm_ros.passes import MultiPassEstimator

    cam = Camera.default_for(frame.shape[1], frame.shape[0])
    dim = darken(frame, 0.2, np.random.default_rng(1))
    multi = MultiPassEstimator(estimator, exposure="gain", dark_score_threshold=0.05)
    dark_people = multi.estimate(dim, cam)
    estimator.score_threshold = 0.05
    try:
        expected = estimator.estimate(normalise_exposure(dim, "gain"), cam)
    finally:
        estimator.score_threshold = 0.2
    assert np.allclose(dark_people.scores, expected.scores) and dark_people.scores.min() < 0.2
    assert estimator.score_threshold == 0.2
    lit_people = multi.estimate(frame, cam)
    assert np.allclose(lit_people.scores, estimator.estimate(frame, cam).scores) and lit_people.scores.min() >= 0.2
