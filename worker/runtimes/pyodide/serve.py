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
    """Prepares the streams, sends the boot frame through send(bytes) (which ends the line),
    and returns the frame handler.

    Frames cross between Python and JavaScript as bytes both ways: Pyodide converts a str of
    megabytes character by character (1.5 s and 150 MB for a 5 MB result), bytes in one copy.
    """

    def write_frame(text):
        # Log lines go out synchronously (bootstrap.js writes them with writeSync), so
        # after the flush they are in the pipe ahead of the frame, as the protocol wants.
        bootstrap.flush_logs()
        send(text.encode("utf-8"))

    # invoke() and send_error() look write_frame up at each call: frames leave through Node.js.
    bootstrap.write_frame = write_frame
    # Pyodide puts the working directory on sys.path ("" entries); python3 -I does not.
    sys.path[:] = [entry for entry in sys.path if entry]
    bootstrap.prepare()
    write_frame(bootstrap.boot_frame())
    take = bootstrap.Server().take
    return lambda line: take(line.to_bytes())  # line: a JavaScript Uint8Array
