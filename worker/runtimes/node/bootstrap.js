'use strict';
// TauFunctions bootstrap for Node.js (18, 20, 22). The contract it implements is
// docs/runtime-protocol.md: control frames arrive on fd 3 and leave on fd 4, one JSON
// object per line; fds 1 and 2 (one pipe) carry the handler's logs.

const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const TASK_ROOT = '/var/task';
const IN_FD = 3;
const OUT_FD = 4;
// fds 1 and 2 share one pipe, so the worker reads log lines in the order they were
// written; a line the handler wrote to stderr starts with this byte.
const STDERR_MARK = '\x1e';

// process.stderr, with STDERR_MARK at the start of every line. console.error, console.warn
// and console.trace all write through this method.
let stderrAtLineStart = true;
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = function markedWrite(chunk, encoding, callback) {
  if (typeof encoding === 'function') {
    callback = encoding;
    encoding = undefined;
  }
  let text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (typeof chunk === 'string' && encoding && !/^utf-?8$/i.test(encoding)) {
    text = Buffer.from(chunk, encoding).toString('utf8');
  }
  if (text === '') return stderrWrite(text, callback);
  const ends = text.endsWith('\n');
  let marked = (ends ? text.slice(0, -1) : text).split('\n').join('\n' + STDERR_MARK);
  if (stderrAtLineStart) marked = STDERR_MARK + marked;
  stderrAtLineStart = ends;
  return stderrWrite(ends ? marked + '\n' : marked, callback);
};

// The sandbox may open only unix and IP sockets, so the netlink socket libuv reads
// interfaces through is refused. Its network namespace has loopback and nothing
// else; that is what os.networkInterfaces() answers when the kernel cannot be asked.
const LOOPBACK = {
  lo: [
    { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true,
      cidr: '127.0.0.1/8' },
    { address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6',
      mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 },
  ],
};
const kernelInterfaces = os.networkInterfaces;
os.networkInterfaces = function networkInterfaces() {
  try {
    return kernelInterfaces.call(os);
  } catch (e) {
    if (e.code !== 'ERR_SYSTEM_ERROR') throw e;
    return JSON.parse(JSON.stringify(LOOPBACK));
  }
};
require('module').syncBuiltinESMExports();

let meta = null;     // the load frame
let handler = null;  // the user's function, once loaded
let current = null;  // the running invocation's failWith(shape), for process-level errors

// A blocking write so that frames of several MB go out whole and in order; line is the
// frame with its newline. A short frame, nearly every one, is written as the string it
// is, without a Buffer made for it.
// fd 4 should be a blocking pipe; should it be non-blocking, wait a millisecond and retry.
const SHORT_FRAME = 16384;
const napCell = new Int32Array(new SharedArrayBuffer(4));
function writeFrame(line) {
  let off = 0;
  if (line.length <= SHORT_FRAME) {
    off = writeSome(line);
    if (off === Buffer.byteLength(line)) return;
  }
  const buf = Buffer.from(line, 'utf8');
  while (off < buf.length) off += writeSome(buf, off);
}

// One write(2) of data (a string, or a Buffer from off): the bytes it took.
function writeSome(data, off) {
  try {
    return typeof data === 'string' ? fs.writeSync(OUT_FD, data) : fs.writeSync(OUT_FD, data, off, data.length - off);
  } catch (e) {
    if (e.code !== 'EAGAIN') process.exit(1); // the worker is gone; nobody to answer
    Atomics.wait(napCell, 0, 0, 1);
    return 0;
  }
}

// Node's console is not synchronous on pipes after all: Node makes fds 1 and 2
// non-blocking and queues whatever the pipe cannot take at once. A frame must not
// overtake the logs written before it, so it waits until both queues are empty.
// "> 0" rather than "=== 0": a stream some library put in their place may not count.
function logsQueued() {
  return process.stdout.writableLength > 0 || process.stderr.writableLength > 0;
}

// Writes the answer to the frame being handled once the code running now has finished
// and the logs are out (at the end of this turn when nothing is queued, the usual case,
// else after polling), then handles the next frame.
let answer = null;
function answerWhenFlushed(text) {
  answer = text;
  queueMicrotask(flushAnswer);
}
function flushAnswer() {
  if (logsQueued()) {
    setTimeout(flushAnswer, 1);
    return;
  }
  const text = answer;
  answer = null;
  writeFrame(text);
  next();
}

function isError(e) {
  return e instanceof Error || util.types.isNativeError(e);
}

function describe(value) {
  try { return String(value); } catch (_) { return Object.prototype.toString.call(value); }
}

// The error shape of the protocol. Non-Error values are typed by typeof, as Lambda does.
function errorShape(e) {
  if (!isError(e)) return fault(typeof e, describe(e));
  try {
    const name = describe(e.name);
    const message = describe(e.message);
    let stack = typeof e.stack === 'string' ? e.stack : '';
    // The stack starts with "Name: message", which may span several lines; drop all of it.
    // Node puts "file:line" and the source excerpt in front of a syntax error's header
    // instead; those lines are the useful ones, so such a stack is kept whole.
    const header = message ? `${name}: ${message}` : name;
    if (stack.startsWith(header)) stack = stack.slice(header.length);
    const lines = stack.split('\n').filter((l) => l !== '');
    // Frames from here down are the bootstrap calling the handler: noise to its author.
    const ours = lines.findIndex((l) => l.includes(__filename));
    return fault(name, message, ours < 0 ? lines : lines.slice(0, ours));
  } catch (_) {
    // Getters on a user's error object can throw; the invocation must still be answered.
    return fault('handled', 'the error could not be read (its name, message or stack threw)');
  }
}

function fault(errorType, errorMessage, stackTrace = []) {
  return { errorType, errorMessage, stackTrace };
}

// Frames are made as they are written: one line of JSON, with its newline.
function errorFrame(requestId, shape) {
  const frame = { type: 'error' };
  if (requestId !== undefined) frame.requestId = requestId;
  frame.error = shape;
  return JSON.stringify(frame) + '\n';
}

function resultFrame(requestId, value) {
  let body;
  try {
    body = JSON.stringify(value === undefined ? null : value);
  } catch (e) {
    return errorFrame(requestId, fault('Runtime.MarshalError', `Unable to stringify response body: ${describe(e && e.message)}`));
  }
  // Functions and symbols stringify to undefined; Lambda answers null for them.
  if (body === undefined) body = 'null';
  // Spliced rather than re-stringified: the body may be megabytes.
  return `{"type":"result","requestId":${JSON.stringify(requestId)},"result":${body}}\n`;
}

// Lambda's rule: the nearest package.json decides whether a .js file is an ES module.
function isModuleScope(file) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch (e) {
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') return false;
    }
    if (dir === path.dirname(dir)) return false;
  }
}

function isFile(file) {
  try { return fs.statSync(file).isFile(); } catch (_) { return false; }
}

// "dir/file.a.b" → module dir/file, property path a.b (the first dot after the last slash).
async function resolveHandler(spec) {
  const slash = spec.lastIndexOf('/');
  const base = spec.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot < 1 || dot === base.length - 1) {
    throw fault('Runtime.MalformedHandlerName', `Bad handler ${spec}: expected module.function`);
  }
  const moduleName = spec.slice(0, slash + 1) + base.slice(0, dot);
  const props = base.slice(dot + 1).split('.');

  const file = ['.js', '.mjs', '.cjs'].map((ext) => path.resolve(TASK_ROOT, moduleName + ext)).find(isFile);
  if (!file) throw fault('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`);

  let mod;
  try {
    const esm = file.endsWith('.mjs') || (file.endsWith('.js') && isModuleScope(file));
    mod = esm ? await import(pathToFileURL(file).href) : require(file);
  } catch (e) {
    const shape = errorShape(e);
    const type = e instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError';
    throw fault(type, `${shape.errorType}: ${shape.errorMessage}`, shape.stackTrace);
  }

  let fn = mod;
  for (const p of props) fn = fn === null || fn === undefined ? undefined : fn[p];
  if (fn === undefined) throw fault('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  if (typeof fn !== 'function') throw fault('Runtime.HandlerNotFound', `${spec} is not a function`);
  return fn;
}

// Answers with the ready or error frame.
async function load(frame) {
  meta = frame;
  // Replace, not merge: bubblewrap leaves PWD behind, and the function sees only its own env.
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, frame.env || {});
  let ready = '{"type":"ready"}\n';
  try {
    handler = await resolveHandler(String(frame.handler));
  } catch (shape) {
    ready = errorFrame(undefined, shape); // resolveHandler throws nothing but protocol shapes
  }
  answerWhenFlushed(ready);
}

// Every path into an answer goes through succeed/fail, which let only the first one
// through: a handler may both resolve and call back, and a stray callback may fire long
// after its invocation ended.
function invoke(frame) {
  const requestId = frame.requestId;
  let answered = false;
  const finish = (ok, value) => {
    if (answered) return;
    answered = true;
    if (current === failWith) current = null;
    // Serialized now: code still running while the logs drain may mutate the result.
    answerWhenFlushed(ok ? resultFrame(requestId, value) : errorFrame(requestId, value));
  };
  const succeed = (value) => finish(true, value);
  const failWith = (shape) => finish(false, shape);
  const fail = (err) => failWith(errorShape(err));
  const callback = (err, value) => (err !== undefined && err !== null ? fail(err) : succeed(value));
  current = failWith;

  // No timer of its own: the worker ends an invocation at its deadline.
  const deadline = Number(frame.deadlineMs);
  const context = {
    awsRequestId: requestId,
    functionName: meta.functionName,
    functionVersion: meta.functionVersion,
    memoryLimitInMB: String(meta.memoryLimitInMB),
    logGroupName: meta.logGroupName,
    logStreamName: meta.logStreamName,
    invokedFunctionArn: frame.invokedFunctionArn,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    succeed,
    fail,
    done: callback,
  };

  let returned;
  try {
    returned = handler(frame.event, context, callback);
    if (returned !== null && (typeof returned === 'object' || typeof returned === 'function') &&
        typeof returned.then === 'function') {
      // Promise.resolve adopts the thenable in a later job, so a throwing then() rejects.
      Promise.resolve(returned).then(succeed, fail);
      return;
    }
  } catch (e) {
    // The handler threw, or reading its answer's then did.
    fail(e);
    return;
  }
  if (handler.length < 3) succeed(returned);
  // Otherwise the handler answers through callback or context.succeed/fail/done.
}

// Errors that escape the handler's own promise chain end the running invocation; with
// nothing running there is no one to tell but stderr. Either way the instance lives on.
process.on('uncaughtException', (e) => {
  if (current) current(errorShape(e));
  else process.stderr.write(`Uncaught exception outside an invocation: ${isError(e) ? e.stack : describe(e)}\n`);
});
process.on('unhandledRejection', (reason) => {
  if (!current) {
    process.stderr.write(`Unhandled rejection outside an invocation: ${isError(reason) ? reason.stack : describe(reason)}\n`);
  } else if (isError(reason)) {
    current(errorShape(reason));
  } else {
    current(fault('Runtime.UnhandledPromiseRejection', describe(reason)));
  }
});

// An invoke frame starts with its request id (worker/instance.c writes it so).
const REQUEST_ID = /^\{"type":"invoke","requestId":"([0-9A-Za-z-]{1,64})"/;

// A frame that cannot be read still ends the invocation it carries, at once: skipping it
// would leave the worker waiting for the function's whole timeout, and bill for it; and
// bytes that are not UTF-8 must not reach the handler replaced by U+FFFD. The answer names
// the invocation if the frame still shows which one: the worker accepts an error frame
// only for the invocation it is running, and ends the instance on any other frame.
function unreadable(bytes, e) {
  let requestId;
  const text = bytes.toString('utf8');
  try {
    const salvaged = JSON.parse(text);
    if (salvaged && typeof salvaged.requestId === 'string') requestId = salvaged.requestId;
  } catch (_) {
    const found = REQUEST_ID.exec(text);
    if (found) requestId = found[1];
  }
  const shape = fault('Runtime.UnmarshalError', `Unable to unmarshal input: ${describe(e && e.message)}`);
  serially({ type: 'unreadable', text: errorFrame(requestId, shape) });
}

// Frames are handled strictly one after another: an invocation must be answered before
// the next frame is looked at. Each is handled in a microtask (a handler runs as it would
// after an await, as on Lambda); its answer, once written, calls next.
const waiting = [];
let running = false;
function serially(frame) {
  waiting.push(frame);
  if (!running) {
    running = true;
    queueMicrotask(next);
  }
}
function next() {
  const frame = waiting.shift();
  if (frame === undefined) {
    running = false;
  } else if (frame.type === 'invoke') {
    // An invoke after a failed load, or a second load, has no meaning; the worker sends neither.
    if (handler) invoke(frame);
    else next();
  } else if (frame.type === 'load') {
    if (meta) next();
    else load(frame);
  } else {
    answerWhenFlushed(frame.text); // the answer to an unreadable frame
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function dispatch(bytes) {
  let frame;
  try {
    frame = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    unreadable(bytes, e);
    return;
  }
  if (frame && typeof frame === 'object' && (frame.type === 'invoke' || frame.type === 'load')) serially(frame);
}

writeFrame(JSON.stringify({ type: 'boot', runtimeVersion: process.version }) + '\n');

// A net.Socket reads the pipe through the event loop rather than tying up a thread-pool
// thread, which the handler's fs and crypto calls would otherwise be short of.
const input = new net.Socket({ fd: IN_FD, readable: true, writable: false });
let partial = [];
input.on('data', (chunk) => {
  let start = 0;
  let nl;
  while ((nl = chunk.indexOf(10, start)) !== -1) {
    // A frame that came in one chunk, the usual case, is read where it lies.
    if (partial.length === 0) {
      dispatch(chunk.subarray(start, nl));
    } else {
      partial.push(chunk.subarray(start, nl));
      dispatch(Buffer.concat(partial));
      partial = [];
    }
    start = nl + 1;
  }
  if (start < chunk.length) partial.push(chunk.subarray(start));
});
input.on('end', () => process.exit(0));
input.on('error', () => process.exit(0));
