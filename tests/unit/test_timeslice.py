"""The event loop's thread asks the kernel for a short time slice (engine.timeslice)."""

from __future__ import annotations

import threading

import pytest

from engine import timeslice
from engine.settings import SettingsError, load

KERNEL_SLICE = timeslice.current_slice_ms()


def _in_thread(fn):
    """Run ``fn`` on a thread of its own (a slice is per thread): its result."""
    out = []
    thread = threading.Thread(target=lambda: out.append(fn()))
    thread.start()
    thread.join()
    return out[0]


@pytest.mark.skipif(KERNEL_SLICE is None, reason="the kernel reports no EEVDF slice")
def test_a_thread_gets_the_slice_it_asks_for_and_others_keep_theirs():
    # (a new thread inherits this one's slice, which an engine test may have set)
    inherited = _in_thread(timeslice.current_slice_ms)
    mine = timeslice.current_slice_ms()
    assert inherited == mine
    assert _in_thread(lambda: timeslice.set_slice(0.2)) == pytest.approx(0.2)
    assert _in_thread(lambda: timeslice.set_slice(0.01)) == pytest.approx(0.1)  # clamped
    assert _in_thread(lambda: timeslice.set_slice(0)) == inherited  # 0: left as it is
    assert timeslice.current_slice_ms() == mine  # this thread was not touched


@pytest.mark.skipif(KERNEL_SLICE is None, reason="the kernel reports no EEVDF slice")
def test_reset_gives_back_the_kernels_default():
    def short_then_reset() -> tuple[float | None, float | None]:
        return timeslice.set_slice(0.3), timeslice.reset()

    short, default = _in_thread(short_then_reset)
    assert short == pytest.approx(0.3) and default is not None and default > 0.3


def test_the_setting_is_checked():
    assert load(None, environ={"ENGINE_LOOP_SLICE_MS": "0.3"}).loop_slice_ms == 0.3
    with pytest.raises(SettingsError, match="loop_slice_ms"):
        load(None, environ={"ENGINE_LOOP_SLICE_MS": "0.05"})
