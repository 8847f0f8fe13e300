'use strict';
// TauFunctions bootstrap for python3.12 on Pyodide, CPython 3.12 compiled to WebAssembly,
// run as `node FLAGS /opt/tf/pyodide/bootstrap.js ROOT` inside the same sandbox as every
// runtime. ROOT is the installation scripts/lib/deps.sh makes: node_modules/pyodide and
// the memory snapshot snapshot.js wrote. The contract is docs/runtime-protocol.md. This
// file owns the descriptors and the file system; serve.py answers the frames with the
// native runtime's own code (../python/bootstrap.py).

const fs = require('fs');
const net = require('net');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');

const ROOT = process.argv[2];
const IN_FD = 3;
const OUT_FD = 4;
const SNAPSHOT = 'snapshot.bin';
const NEWLINE = Buffer.from('\n');
// Sandbox directories Python sees as they are, not in Pyodide's in-memory file system: the
// code (read-only; a spare's appears there later), the private size-capped /tmp (files a
// function writes count against it, not against the heap) and the bootstraps.
const MOUNTS = ['/var/task', '/tmp', '/opt/tf'];

// Booting from a snapshot reads it whole (20 MB); a collection right after gives it back
// instead of leaving it to an idle instance's next allocation.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');

// Whole, blocking writes. fds 1, 2 and 4 should be blocking pipes; should one be
// non-blocking, wait a millisecond and retry.
const napCell = new Int32Array(new SharedArrayBuffer(4));
function writeAll(fd, buf) {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== 'EAGAIN') process.exit(1); // the worker is gone; nobody to answer
      Atomics.wait(napCell, 0, 0, 1);
    }
  }
  return buf.length;
}

// A frame and its newline: one writev(2) when the pipe takes them whole.
function writeLine(fd, data) {
  let done = 0;
  try {
    done = fs.writevSync(fd, [data, NEWLINE]);
  } catch (e) {
    if (e.code !== 'EAGAIN') process.exit(1); // the worker is gone; nobody to answer
  }
  if (done < data.length) writeAll(fd, data.subarray(done));
  if (done <= data.length) writeAll(fd, NEWLINE);
}

function readSnapshot() {
  try {
    return fs.readFileSync(path.join(ROOT, SNAPSHOT));
  } catch (_) {
    return undefined; // an installation without one boots from scratch, seconds slower
  }
}

async function boot() {
  const indexURL = path.join(ROOT, 'node_modules', 'pyodide') + '/';
  const { loadPyodide } = require(indexURL + 'pyodide.js');
  const py = await loadPyodide({ indexURL, env: {}, _loadSnapshot: readSnapshot() });
  // Pyodide keeps its options; this one is the snapshot's bytes, no longer needed.
  if (py._api && py._api.config) py._api.config._loadSnapshot = undefined;
  for (const dir of MOUNTS) {
    py.FS.mkdirTree(dir);
    py.FS.mount(py.FS.filesystems.NODEFS, { root: dir }, dir);
  }
  py.FS.chdir('/var/task');
  // Python's sys.stdout and sys.stderr end in these, byte for byte; serve.py marks stderr.
  py.setStdout({ write: (bytes) => writeAll(1, bytes) });
  py.setStderr({ write: (bytes) => writeAll(2, bytes) });
  // Loaded by path and kept out of sys.modules, so that a function's own module named
  // "serve" or "bootstrap" is its own.
  const start = py.runPython(
    'import importlib.util\n' +
    'spec = importlib.util.spec_from_file_location("tf_serve", "/opt/tf/pyodide/serve.py")\n' +
    'serve = importlib.util.module_from_spec(spec)\n' +
    'spec.loader.exec_module(serve)\n' +
    'serve.start',
    { globals: py.toPy({}) });
  // serve.py sends Python bytes: written straight from WebAssembly memory, never copied,
  // with the newline in the same write.
  const take = start((bytes) => {
    const view = bytes.getBuffer('u8');
    try {
      writeLine(OUT_FD, view.data);
    } finally {
      view.release();
    }
  });
  start.destroy();
  collect();
  return take;
}

// A frame the Python side could not answer means the interpreter itself stopped: os._exit
// (Pyodide's "Exit" error carries its status) or a fatal error. The process ends with it,
// and the worker reports the exit.
function stopped(e) {
  if (e && e.name === 'Exit' && Number.isInteger(e.status)) process.exit(e.status);
  writeAll(2, Buffer.from(`\x1ePython stopped: ${e && e.message}\n`));
  process.exit(1);
}

function serveFrames(take) {
  const input = new net.Socket({ fd: IN_FD, readable: true, writable: false });
  let partial = [];
  input.on('data', (chunk) => {
    let start = 0;
    let nl;
    while ((nl = chunk.indexOf(10, start)) !== -1) {
      let line;
      // A frame that came in one chunk, the usual case, is read where it lies.
      if (partial.length === 0) {
        line = chunk.subarray(start, nl);
      } else {
        partial.push(chunk.subarray(start, nl));
        line = Buffer.concat(partial);
        partial = [];
      }
      start = nl + 1;
      try {
        // A plain Uint8Array: Pyodide converts no Buffer.
        take(new Uint8Array(line.buffer, line.byteOffset, line.length));
      } catch (e) {
        stopped(e);
      }
    }
    if (start < chunk.length) partial.push(chunk.subarray(start));
  });
  input.on('end', () => process.exit(0));
  input.on('error', () => process.exit(0));
}

boot().then(serveFrames, (e) => {
  writeAll(2, Buffer.from(`\x1ePyodide did not start: ${e && e.stack}\n`));
  process.exit(1);
});
