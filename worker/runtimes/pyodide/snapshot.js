'use strict';
// Writes ROOT/snapshot.bin, the memory of a Pyodide that has started CPython and imported
// what ../python/bootstrap.py imports. bootstrap.js restores it instead of starting Python
// again: an instance boots in about 0.4 s instead of 2 (docs/runtimes.md). Run once per
// installation by scripts/lib/deps.sh, with the Node.js that runs the instances:
//   node snapshot.js ROOT      prints the Python version the snapshot holds

const fs = require('fs');
const path = require('path');

const ROOT = process.argv[2];
// logging too, because so many handlers use it.
const PRELOADED = 'import importlib, importlib.machinery, importlib.util, json, logging, os, platform, select, sys, time, traceback';

async function main() {
  const indexURL = path.join(ROOT, 'node_modules', 'pyodide') + '/';
  const { loadPyodide } = require(indexURL + 'pyodide.js');
  const py = await loadPyodide({ indexURL, env: {}, _makeSnapshot: true });
  py.runPython(PRELOADED);
  const version = py.runPython('platform.python_version()');
  const tmp = path.join(ROOT, `.snapshot.${process.pid}`);
  fs.writeFileSync(tmp, py.makeMemorySnapshot());
  fs.renameSync(tmp, path.join(ROOT, 'snapshot.bin'));
  process.stdout.write(version + '\n');
}

main().catch((e) => {
  process.stderr.write(`snapshot: ${e && e.stack}\n`);
  process.exit(1);
});
