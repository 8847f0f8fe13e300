"""python3.12 on Pyodide: the frames of docs/runtime-protocol.md, answered by the native
runtime's own code.

Pyodide is CPython compiled to WebAssembly; bootstrap.js in this folder runs it in Node.js
and owns the descriptors (it reads fd 3 and writes fds 1, 2 and 4). This module imports
../python/bootstrap.py and lets it do everything else, so that a handler loads, answers,
fails and logs on this Python exactly as on a native one.
"""

import importlib.util
import sys

NATIVE_BOOTSTRAP = "/opt/tf/python/bootstrap.py"


def _native():
    spec = importlib.util.spec_from_file_location("tf_bootstrap", NATIVE_BOOTSTRAP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _native()


def start(send):
    """Prepares the streams, sends the boot frame through send(text), returns the frame handler."""

    def write_frame(text):
        # Log lines go out synchronously (bootstrap.js writes them with writeSync), so
        # after the flush they are in the pipe ahead of the frame, as the protocol wants.
        bootstrap.flush_logs()
        send(text)

    # invoke() and send_error() look write_frame up at each call: frames leave through Node.js.
    bootstrap.write_frame = write_frame
    # Pyodide puts the working directory on sys.path ("" entries); python3 -I does not.
    sys.path[:] = [entry for entry in sys.path if entry]
    bootstrap.prepare()
    write_frame(bootstrap.boot_frame())
    return bootstrap.Server().take
