"""Knowing, without a clock, that a thread is inside one native call (shared by the GIL and
Ctrl-C tests).

``sys.setprofile`` reports a ``c_call`` event just before the interpreter calls a builtin
(our pybind11 functions are builtins) and ``c_return``/``c_exception`` just after, so a
profile hook can keep a flag that is true exactly while the thread is inside that call.
With the switch interval raised to ``LONG_SWITCH_INTERVAL`` the interpreter never takes
the GIL away from a running thread: another Python thread runs only where the GIL is given
up voluntarily (a blocking wait, or native code that releases it). So when a second thread
runs Python while the flag is set, the native call has released the GIL, and a signal
handler that finds the flag set was run by the native code's own signal polling, not after
the call had returned.
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager

LONG_SWITCH_INTERVAL = 1000.0  # seconds: longer than any test, so no forced GIL hand-off


class NativeCall:
    """A profile hook that flags when the calling thread is inside ``target``.

    ``entered`` is set on every entry; ``inside`` is true between entry and return.
    """

    def __init__(self, target):
        self.target = target
        self.inside = False
        self.entries = 0
        self.entered = threading.Event()

    def hook(self, frame, event, arg):
        if arg is self.target:
            if event == "c_call":
                self.inside = True
                self.entries += 1
                self.entered.set()
            elif event in ("c_return", "c_exception"):
                self.inside = False

    def handler_inside(self, frame) -> bool:
        """For a signal handler's ``frame``: was it run by the native call itself?

        Python runs a pending handler at the first bytecode it executes, and after a native
        call that ignored the signal that is the first line of this hook on ``c_return``,
        while ``inside`` still reads true. Such a handler gets the hook's frame; one run by
        the native code's own PyErr_CheckSignals gets the frame that made the call.
        """
        return self.inside and frame is not None and frame.f_code is not _HOOK_CODE

    @contextmanager
    def traced(self):
        """Trace the current thread while the block runs."""
        sys.setprofile(self.hook)
        try:
            yield self
        finally:
            sys.setprofile(None)


_HOOK_CODE = NativeCall.hook.__code__


@contextmanager
def no_forced_switches():
    old = sys.getswitchinterval()
    sys.setswitchinterval(LONG_SWITCH_INTERVAL)
    try:
        yield
    finally:
        sys.setswitchinterval(old)
