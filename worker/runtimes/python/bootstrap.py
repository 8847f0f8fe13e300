"""TauFunctions bootstrap for Python, run as `python3 -I -S /opt/tf/bootstrap.py`.

The contract it implements is docs/runtime-protocol.md: control frames arrive on fd 3
and leave on fd 4, one JSON object per line; fds 1 and 2 (one pipe) carry the handler's logs.
Standard library only. python3.12 on Pyodide (../pyodide/serve.py) imports this file and
carries the same frames through Node.js, so both answer alike.
"""

import importlib
import importlib.machinery
import json
import os
import platform
import re
import select
import sys
import time
import traceback

TASK_ROOT = "/var/task"
IN_FD = 3
OUT_FD = 4
# fds 1 and 2 share one pipe, so the worker reads log lines in the order they were
# written; a line the handler wrote to stderr starts with this byte.
STDERR_MARK = "\x1e"


class MarkedStream:
    """sys.stderr, with STDERR_MARK at the start of every line written through it."""

    def __init__(self, stream):
        self._stream = stream
        self._at_line_start = True

    def write(self, text):
        if not text:
            return 0
        ends = text.endswith("\n")
        marked = (text[:-1] if ends else text).replace("\n", "\n" + STDERR_MARK)
        if self._at_line_start:
            marked = STDERR_MARK + marked
        self._stream.write(marked + ("\n" if ends else ""))
        self._at_line_start = ends
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def flush_logs():
    # The worker must find every log byte of an invocation in its pipes before the frame
    # that ends it. The handler may have swapped sys.stdout, so flush the originals too;
    # while it has not, they are the same two streams (the marking wrapper keeps nothing
    # of its own, and is flushed by flushing what it wraps).
    out, err = sys.stdout, sys.stderr
    if type(err) is MarkedStream:
        err = err._stream
    if sys.__stdout__ is out and sys.__stderr__ is err:
        streams = (out, err)
    else:
        streams = (out, err, sys.__stdout__, sys.__stderr__)
    for stream in streams:
        try:
            stream.flush()
        except Exception:
            pass


def write_frame(text):
    flush_logs()
    data = (text + "\n").encode("utf-8")
    try:
        n = os.write(OUT_FD, data)
    except BlockingIOError:
        n = 0
    except OSError:
        os._exit(1)  # the worker is gone; nobody is left to answer
    if n < len(data):
        write_rest(memoryview(data)[n:])


def write_rest(view):
    """The rest of a frame a first write took only part of (a pipe made non-blocking)."""
    while view:
        try:
            n = os.write(OUT_FD, view)
        except BlockingIOError:
            select.select([], [OUT_FD], [])
            continue
        except OSError:
            os._exit(1)  # the worker is gone; nobody is left to answer
        view = view[n:]


def safe_str(value):
    try:
        return str(value)
    except Exception:
        return object.__repr__(value)


def fault(error_type, message, stack=()):
    return {"errorType": error_type, "errorMessage": message, "stackTrace": list(stack)}


IMPORTLIB_DIR = os.path.dirname(importlib.__file__) + os.sep


def user_trace(tb):
    # Our own frames and importlib's machinery tell the function's author nothing.
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename != __file__ and not f.filename.startswith(("<frozen ", IMPORTLIB_DIR))]
    return traceback.format_list(frames)


def send_error(request_id, shape):
    frame = {"type": "error"}
    if request_id is not None:
        frame["requestId"] = request_id
    frame["error"] = shape
    write_frame(json.dumps(frame))


# An invoke frame starts with its request id (worker/instance.c writes it so).
REQUEST_ID = re.compile(rb'^\{"type":"invoke","requestId":"([0-9A-Za-z-]{1,64})"')


def answer_unreadable(line, error):
    """A frame json.loads refused still ends the invocation it carries, at once.

    Skipping it would leave the worker waiting for the function's whole timeout, and
    bill for it. The answer names the invocation if the frame still shows which one:
    the worker accepts an error frame only for the invocation it is running, and
    ends the instance on any other frame, which answers the caller at once too.
    """
    request_id = None
    try:
        salvaged = json.loads(line.decode("utf-8", "replace"))
        if isinstance(salvaged, dict) and isinstance(salvaged.get("requestId"), str):
            request_id = salvaged["requestId"]
    except ValueError:
        found = REQUEST_ID.match(line)
        request_id = found.group(1).decode("ascii") if found else None
    send_error(request_id, fault("Runtime.UnmarshalError", "Unable to unmarshal input: " + safe_str(error)))


class LoadError(Exception):
    def __init__(self, shape):
        super().__init__(shape["errorMessage"])
        self.shape = shape


def resolve_handler(spec):
    module_name, _, fn_name = spec.rpartition(".")
    if not module_name or not fn_name:
        raise LoadError(fault("Runtime.MalformedHandlerName",
                              "Bad handler '%s': expected module.function" % spec))
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except SyntaxError as e:
        where = '  File "%s", line %s\n    %s\n' % (e.filename, e.lineno, (e.text or "").strip())
        raise LoadError(fault("Runtime.UserCodeSyntaxError",
                              "Syntax error in module '%s': %s" % (module_name, safe_str(e)), [where]))
    except BaseException as e:
        # A module that raises (or even calls sys.exit) while importing "does not load".
        raise LoadError(fault("Runtime.ImportModuleError",
                              "Unable to import module '%s': %s" % (module_name, safe_str(e)),
                              user_trace(e.__traceback__)))
    fn = getattr(module, fn_name, None)
    if fn is None:
        raise LoadError(fault("Runtime.HandlerNotFound",
                              "Handler '%s' missing on module '%s'" % (fn_name, module_name)))
    if not callable(fn):
        raise LoadError(fault("Runtime.HandlerNotFound",
                              "Handler '%s' on module '%s' is not callable" % (fn_name, module_name)))
    return fn


class Context:
    # client_context and identity are not part of the protocol, but code written for
    # Lambda reads them and expects None rather than an AttributeError.
    client_context = None
    identity = None

    def __init__(self, meta, frame):
        self.aws_request_id = frame.get("requestId")
        self.function_name = meta.get("functionName")
        self.function_version = meta.get("functionVersion")
        self.memory_limit_in_mb = str(meta.get("memoryLimitInMB"))
        self.log_group_name = meta.get("logGroupName")
        self.log_stream_name = meta.get("logStreamName")
        self.invoked_function_arn = frame.get("invokedFunctionArn")
        self._deadline_ms = frame.get("deadlineMs") or 0

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


# What json.dumps(value, allow_nan=False) would make a new encoder for at every call.
RESULT_ENCODER = json.JSONEncoder(allow_nan=False)


def invoke(handler, meta, frame):
    request_id = frame.get("requestId")
    try:
        result = handler(frame.get("event"), Context(meta, frame))
    except SystemExit as e:
        code = 0 if e.code is None else e.code
        detail = "exit status %d" % code if isinstance(code, int) else safe_str(code)
        send_error(request_id, fault("Runtime.ExitError", "Runtime exited with error: " + detail,
                                     user_trace(e.__traceback__)))
        return
    except BaseException as e:
        send_error(request_id, fault(type(e).__name__, safe_str(e), user_trace(e.__traceback__)))
        return
    try:
        # NaN and Infinity are not JSON; the worker's parser would reject the whole frame.
        body = RESULT_ENCODER.encode(result)
    except Exception as e:
        send_error(request_id, fault("Runtime.MarshalError",
                                     "Unable to marshal response: " + safe_str(e)))
        return
    # Spliced rather than re-encoded: the body may be megabytes.
    write_frame('{"type":"result","requestId":%s,"result":%s}' % (json.dumps(request_id), body))


def install_env(env):
    # Replace, not merge: bubblewrap leaves PWD and Python's locale coercion adds
    # LC_CTYPE, and the function must see only its own variables.
    os.environ.clear()
    for key, value in (env or {}).items():
        os.environ[key] = value if isinstance(value, str) else json.dumps(value)
    if hasattr(time, "tzset"):  # Pyodide's (WebAssembly) time module has none
        time.tzset()  # so that a TZ variable takes effect for time.localtime and friends


def forget_task_listing():
    # A spare booted before its code was there: forget what /var/task looked like. Only the
    # directories' finders: importlib.invalidate_caches() also re-reads every zip archive on
    # sys.path, which costs Pyodide (its standard library is one) 0.2 s for nothing.
    for finder in list(sys.path_importer_cache.values()):
        if isinstance(finder, importlib.machinery.FileFinder):
            finder.invalidate_caches()


def prepare():
    # Under -I the script's directory is not on sys.path; the function's code goes first.
    # Everything this file imports is already loaded, so /var/task cannot shadow it.
    sys.path.insert(0, TASK_ROOT)
    # Pipes make stdout block-buffered; a line per write keeps logs timely.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True, errors="backslashreplace")
    sys.stderr = MarkedStream(sys.stderr)


def boot_frame():
    return json.dumps({"type": "boot", "runtimeVersion": platform.python_version()})


class Server:
    """Answers the worker's frames, one line at a time, whatever carries them."""

    def __init__(self):
        self.meta = None
        self.handler = None

    def take(self, line):
        try:
            frame = json.loads(line)
        except ValueError as e:  # UnicodeDecodeError is one
            answer_unreadable(line, e)
            return
        if not isinstance(frame, dict):
            return
        kind = frame.get("type")
        if kind == "invoke" and self.handler is not None:
            invoke(self.handler, self.meta, frame)
        # A second load, or an invoke after a failed load, has no meaning; the worker
        # sends neither.
        elif kind == "load" and self.meta is None:
            self.meta = frame
            install_env(frame.get("env"))
            forget_task_listing()
            try:
                self.handler = resolve_handler(safe_str(frame.get("handler")))
            except LoadError as e:
                send_error(None, e.shape)
                return
            write_frame('{"type":"ready"}')


def main():
    prepare()
    # Commands the handler starts (os.system, os.exec*) must not read or forge frames.
    os.set_inheritable(IN_FD, False)
    os.set_inheritable(OUT_FD, False)

    write_frame(boot_frame())

    server = Server()
    with os.fdopen(IN_FD, "rb") as control:
        for line in control:
            server.take(line)
    # End of file on fd 3: the worker is done with us. os._exit, because threads the
    # handler left behind must not keep the sandbox alive.
    flush_logs()
    os._exit(0)


if __name__ == "__main__":
    main()
