// SPDX-License-Identifier: Apache-2.0
// The console's files over the wire from a real `roentgen serve` (no browser): types, caching,
// client-route fallback, HEAD, the redirect from /, and paths that try to leave console/dist
// sent byte for byte (no client-side normalisation).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CONSOLE_DIST, Server, findBinary } from './harness.mjs';

if (!findBinary() || !fs.existsSync(path.join(CONSOLE_DIST, 'index.html'))) {
  console.log('SKIP: needs the roentgen binary and console/dist (npm --prefix console run build)');
  process.exit(77);
}

const server = new Server();
let missingDir;
before(async () => {
  await server.start();
});
after(() => server.stop());

// One raw HTTP/1.1 request; resolves with {status, headers, body}.
function raw(address, requestLine, method = 'GET') {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(`${requestLine}\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = Buffer.alloc(0);
    socket.on('data', (d) => (data = Buffer.concat([data, d])));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = data.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(head[0].split(' ')[1]), headers, body: text.slice(split + 4), method });
    });
  });
}

test('index.html, hashed assets and client routes', async () => {
  const index = await fetch(server.url + '/console/');
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();
  assert.equal(html, fs.readFileSync(path.join(CONSOLE_DIST, 'index.html'), 'utf8'));
  const script = /src="\/console\/(assets\/[^"]+\.js)"/.exec(html)[1];
  const asset = await fetch(server.url + '/console/' + script);
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal(await asset.text(), fs.readFileSync(path.join(CONSOLE_DIST, script), 'utf8'));
  const route = await fetch(server.url + '/console/trace/1-5759e988-bd862e3fe1be46a994272793?tab=raw');
  assert.equal(route.status, 200);
  assert.equal(await route.text(), html);
  assert.equal((await fetch(server.url + '/console/assets/missing-abc123.js')).status, 404);
  const root = await fetch(server.url + '/', { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/console/');
});

test('HEAD answers the headers without a body', async () => {
  const r = await raw(server.address, 'HEAD /console/ HTTP/1.1', 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(Number(r.headers['content-length']), fs.statSync(path.join(CONSOLE_DIST, 'index.html')).size);
  assert.equal(r.body, '');
});

test('paths that leave the directory are refused', async () => {
  for (const p of ['/console/../CMakeLists.txt', '/console/assets/../../package.json', '/console/%2e%2e/package.json', '/console/..%2fpackage.json', '/console/.gitignore']) {
    const r = await raw(server.address, `GET ${p} HTTP/1.1`);
    assert.equal(r.status, 400, `${p}: ${r.status}`);
    assert.ok(!r.body.includes('"dependencies"') && !r.body.includes('cmake_minimum_required'), p);
  }
});

test('without a built console the page says how to build it', async () => {
  missingDir = fs.mkdtempSync(path.join(os.tmpdir(), 'roentgen-no-console-'));
  const other = new Server();
  await other.start(['--console-dir', missingDir]);
  try {
    const r = await fetch(other.url + '/console/');
    assert.equal(r.status, 503);
    const text = await r.text();
    assert.match(text, /npm --prefix console ci/);
    assert.match(text, /--console-dir/);
  } finally {
    await other.stop();
    fs.rmSync(missingDir, { recursive: true, force: true });
  }
});
