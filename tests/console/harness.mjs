// SPDX-License-Identifier: Apache-2.0
// Shared by the console's browser tests and bench/console_trace_bench.mjs: starts a real
// `roentgen serve` (temp data dir, port 0), optionally the order demo against it, and
// Debian's chromium headless through playwright-core (pinned in console/package.json).
//
// Where things come from: the binary from --binary or $ROENTGEN_BINARY (else the newest of
// build/{dev,groups,release}/roentgen); chromium from $CHROMIUM or /usr/bin/chromium;
// screenshots go to $RG_CONSOLE_ARTIFACTS (ctest: console-artifacts/ in its directory) or
// $TMPDIR/roentgen-console-artifacts.
import { spawn, execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const CONSOLE_DIST = path.join(REPO, 'console', 'dist');

export function argValue(name) {
  const i = process.argv.indexOf(name);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(name + '='));
  return eq ? eq.slice(name.length + 1) : undefined;
}

export function findBinary() {
  const given = argValue('--binary') ?? process.env.ROENTGEN_BINARY;
  if (given) return given;
  const found = ['dev', 'groups', 'release']
    .map((d) => path.join(REPO, 'build', d, 'roentgen'))
    .filter((p) => fs.existsSync(p));
  found.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return found[0];
}

export function chromiumPath() {
  return process.env.CHROMIUM ?? '/usr/bin/chromium';
}

// Why the suite cannot run here, or null.
export function missing() {
  if (!fs.existsSync(path.join(CONSOLE_DIST, 'index.html')))
    return 'console/dist is not built (npm --prefix console ci && npm --prefix console run build)';
  if (!fs.existsSync(path.join(REPO, 'console', 'node_modules', 'playwright-core')))
    return 'playwright-core is not installed (npm --prefix console ci)';
  if (!fs.existsSync(chromiumPath())) return `chromium not installed at ${chromiumPath()} (apt-get install chromium)`;
  const binary = findBinary();
  if (!binary || !fs.existsSync(binary)) return 'roentgen binary not found (--binary or $ROENTGEN_BINARY)';
  return null;
}

export function artifactsDir() {
  const dir = process.env.RG_CONSOLE_ARTIFACTS ?? path.join(os.tmpdir(), 'roentgen-console-artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Spawns `args` and resolves with the process once a stdout line matches `pattern`.
function spawnUntil(command, args, pattern, name, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in ${timeoutMs} ms: ${out}\n${err.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m, log: () => out + err });
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
      if (err.length > 200000) err = err.slice(-100000);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${code}: ${out}\n${err.slice(-2000)}`));
    });
  });
}

export class Server {
  constructor() {
    this.children = [];
    this.dirs = [];
  }

  // `roentgen serve` on 127.0.0.1:0 with a temp data dir.
  async start(extraArgs = []) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roentgen-console-'));
    this.dirs.push(dir);
    const { child, match } = await spawnUntil(
      findBinary(),
      ['serve', '--data-dir', dir, '--listen', '127.0.0.1:0', '--log-level', 'warning',
       ...(extraArgs.includes('--console-dir') ? [] : ['--console-dir', CONSOLE_DIST]), ...extraArgs],
      /roentgen: listening http=(\S+)/,
      'roentgen serve',
    );
    this.children.push(child);
    this.address = match[1];
    this.url = `http://${this.address}`;
    return this;
  }

  // The order demo against this server (UDP on the same port); resolves with the gateway.
  async startDemo(extraArgs = []) {
    const port = await freePort();
    const { child, match } = await spawnUntil(
      findBinary(),
      ['demo', '--daemon', this.address, '--listen', `127.0.0.1:${port}`, ...extraArgs],
      /listening gateway=(\S+)/,
      'roentgen demo',
    );
    this.children.push(child);
    this.demoGateway = match[1];
    return this.demoGateway;
  }

  async xray(pathname, body) {
    const r = await fetch(this.url + pathname, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : {} };
  }

  async cloudwatch(operation, body) {
    const r = await fetch(this.url + '/', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': `GraniteServiceVersion20100801.${operation}` },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    let parsed = {};
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = { raw: text };
    }
    return { status: r.status, body: parsed };
  }

  // PutTraceSegments in calls of at most `per` documents; fails on any unprocessed one.
  async putSegments(documents, per = 200) {
    for (let i = 0; i < documents.length; i += per) {
      const r = await this.xray('/TraceSegments', { TraceSegmentDocuments: documents.slice(i, i + per).map((d) => (typeof d === 'string' ? d : JSON.stringify(d))) });
      if (r.status !== 200 || (r.body.UnprocessedTraceSegments ?? []).length) {
        throw new Error(`PutTraceSegments: ${r.status} ${JSON.stringify(r.body).slice(0, 500)}`);
      }
    }
  }

  async stop() {
    for (const c of this.children.reverse()) {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await new Promise((resolve) => {
          const t = setTimeout(() => {
            c.kill('SIGKILL');
            resolve();
          }, 5000);
          c.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    }
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

export async function launchBrowser() {
  const require = createRequire(path.join(REPO, 'console', 'package.json'));
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

export function run(command, args, env) {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 60000 }, (error, stdout, stderr) => resolve({ code: error ? error.code ?? 1 : 0, stdout, stderr }));
  });
}

// ---- synthetic traces ----

export function hex(n) {
  let s = '';
  for (let i = 0; i < n; ++i) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

export function traceId(epochSeconds = Date.now() / 1000) {
  return `1-${Math.floor(epochSeconds).toString(16).padStart(8, '0')}-${hex(24)}`;
}

export function segmentId() {
  return hex(16);
}

// One trace whose root segment (`service`) ran `seconds`, with annotations.
export function simpleTrace({ service, seconds, annotations = {}, start = Date.now() / 1000 - seconds - 0.5, http = true }) {
  const id = traceId(start);
  const doc = {
    trace_id: id,
    id: segmentId(),
    name: service,
    start_time: start,
    end_time: start + seconds,
    annotations,
  };
  if (http) doc.http = { request: { method: 'GET', url: `http://example.com/${service}` }, response: { status: 200 } };
  return { id, documents: [doc] };
}

// A trace of `segments` segment documents with `perSegment` subsegments each (so
// segments * (perSegment + 1) entities): the first is the root, every other segment is called
// from one of the root's subsegments.
export function bigTrace(segments = 100, perSegment = 99) {
  const start = Date.now() / 1000 - 30;
  const id = traceId(start);
  const documents = [];
  for (let s = 0; s < segments; ++s) {
    const t0 = start + s * 0.1;
    const subsegments = [];
    for (let i = 0; i < perSegment; ++i) {
      subsegments.push({ id: segmentId(), name: `op-${s}-${i}`, start_time: t0 + i * 0.001, end_time: t0 + i * 0.001 + 0.0008, ...(i % 37 === 5 ? { error: true } : {}) });
    }
    const doc = { trace_id: id, id: segmentId(), name: `svc-${s % 20}`, start_time: t0, end_time: t0 + 0.1 + (segments - s) * 0.001, subsegments };
    if (s > 0) doc.parent_id = documents[0].subsegments[(s - 1) % perSegment].id;
    documents.push(doc);
  }
  return { id, documents };
}
