"""Fixtures shared by the backend tests (test_backends.py, test_int8_backend.py): a private
export cache, the real fixture frame with its default camera, the default model."""
import cv2
import pytest

from drm_ros.camera import Camera
from drm_ros.checkpoint import load_model
from drm_ros.paths import DEFAULT_MODEL, model_path


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """One cache directory for the session's backend tests: exported once, reused after."""
    monkeypatch.setenv("DRM_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "drm_cache"))


@pytest.fixture(scope="module")
def frame(fixtures_dir):
    rgb = cv2.cvtColor(cv2.imread(str(fixtures_dir / "vtest_frame300.jpg")), cv2.COLOR_BGR2RGB)
    return rgb, Camera.default_for(rgb.shape[1], rgb.shape[0])


@pytest.fixture(scope="module")
def net():
    return load_model(model_path(DEFAULT_MODEL))[0].eval()
