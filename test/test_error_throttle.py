"""Error throttling per problem (drm_ros/error_throttle.py, issue 16): problems sharing a wording
are each reported, a repeating problem is rate-limited, varied garbage cannot flood."""
import re

from drm_ros.error_throttle import ErrorThrottle, family_of


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _run(throttle, clock, messages, dt=1 / 32):  # ~30 Hz, exact in binary
    logged = []
    for text in messages:
        line = throttle.line(text)
        if line is not None:
            logged.append(line)
        clock.now += dt
    return logged


# The pairs of issue 16 that the number-masked key used to merge.
SAME_WORDING = [
    "image data is truncated: 921599 bytes for 640x480 rgb8 with step 1920 (needs 921600)",
    "image data is truncated: 460800 bytes for 640x480 rgb8 with step 1920 (needs 921600)",
    "image has an empty size 0x480",
    "image has an empty size 640x0",
    "image is 320x240 but camera_info describes 640x480",
    "image is 1280x960 but camera_info describes 640x480",
]


def test_every_distinct_problem_is_logged_even_when_it_shares_a_wording():
    clock = Clock()
    throttle = ErrorThrottle(period_s=5.0, clock=clock)
    # each problem 10 times in a row at 32 Hz, all within one throttle period
    logged = _run(throttle, clock, [m for m in SAME_WORDING for _ in range(10)])
    assert logged[0] == SAME_WORDING[0]
    assert [re.sub(r" \(\d+ similar not logged since the last such line\)$", "", line) for line in logged] == SAME_WORDING
    assert family_of(SAME_WORDING[0]) == family_of(SAME_WORDING[1])  # the old key could not tell them apart


def test_a_repeating_problem_is_logged_once_per_period_with_a_count():
    clock = Clock()
    throttle = ErrorThrottle(period_s=5.0, clock=clock)
    text = SAME_WORDING[2]
    logged = _run(throttle, clock, [text] * 300)  # 9.4 s at 32 Hz
    assert len(logged) == 2
    assert logged[0] == text
    assert logged[1].startswith(text) and "(159 similar not logged" in logged[1]


def test_varied_garbage_of_one_wording_cannot_flood():
    clock = Clock()
    throttle = ErrorThrottle(period_s=5.0, family_burst=5, max_problems=50, clock=clock)
    garbage = [f"image is {w}x{w // 2} but camera_info describes 640x480" for w in range(2, 302)]
    logged = _run(throttle, clock, garbage)  # 300 distinct sizes in 10 s
    assert 5 <= len(logged) <= 10  # at most family_burst per 5 s period
    assert len(throttle._last_logged) <= 50
    # a problem of another wording arriving in the middle of the flood is still reported at once
    assert throttle.line("unsupported image encoding 'bayer_grbg8'") == "unsupported image encoding 'bayer_grbg8'"
