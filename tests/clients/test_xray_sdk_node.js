#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// The Node clients against roentgen: aws-xray-sdk-core 3.12.0 sends segments over UDP
// (AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:PORT, local sampling rule with rate 1.0, centralized
// sampling disabled), then @aws-sdk/client-xray 3.1169.0 reads them back with BatchGetTraces
// and writes with PutTraceSegments.
//
// Usage: node test_xray_sdk_node.js [--binary PATH] [--shared DIR]
// Exit codes: 0 pass, 1 fail, 77 skip (node_modules not installed: run tools/install_clients.sh).
'use strict';

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');
const SKIP = 77;

function parseArgs(argv) {
  const out = {binary: process.env.ROENTGEN_BINARY, shared: process.env.RG_SHARED_DIR};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === '--binary' || flag === '--shared') {
      out[flag.slice(2)] = inline !== undefined ? inline : argv[++i];
    }
  }
  if (!out.binary) {  // the newer of build/{dev,clients}/roentgen
    const found = ['build/dev/roentgen', 'build/clients/roentgen']
        .map((c) => path.join(REPO, c)).filter((p) => fs.existsSync(p))
        .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    out.binary = found[0];
  }
  return out;
}

function requireClient(name) {
  try {
    return require(require.resolve(name, {paths: [HERE]}));
  } catch (e) {
    if (e.code === 'MODULE_NOT_FOUND') {
      console.log(`SKIP: ${name} not installed in ${HERE}/node_modules ` +
                  '(run tools/install_clients.sh)');
      process.exit(SKIP);
    }
    throw e;
  }
}

// ---- the server --------------------------------------------------------------------------

class Server {
  constructor(binary) {
    this.binary = binary;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'roentgen-node-test-'));
    this.stderr = [];
    this.proc = null;
  }

  start() {
    return new Promise((resolve, reject) => {
      const args = ['serve', '--data-dir', path.join(this.dir, 'data'), '--listen', '127.0.0.1:0'];
      this.proc = childProcess.spawn(this.binary, args, {stdio: ['ignore', 'pipe', 'pipe']});
      this.proc.stderr.on('data', (d) => {
        this.stderr.push(d.toString());
        if (this.stderr.length > 200) this.stderr.shift();
      });
      const timer = setTimeout(() => reject(new Error('no listening line in 30 s')), 30000);
      this.proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`roentgen exited early (${code}): ${this.stderr.join('')}`));
      });
      const lines = readline.createInterface({input: this.proc.stdout});
      lines.once('line', (line) => {
        clearTimeout(timer);
        const m = /^roentgen: listening http=([\d.]+):(\d+) udp=([\d.]+):(\d+) data=/.exec(line);
        if (!m) return reject(new Error(`unexpected listening line: ${line}`));
        this.httpPort = Number(m[2]);
        this.udpPort = Number(m[4]);
        this.endpoint = `http://127.0.0.1:${this.httpPort}`;
        lines.on('line', () => {});
        resolve(this);
      });
    });
  }

  cleanup() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.removeAllListeners('exit');
      this.proc.kill('SIGKILL');
    }
    fs.rmSync(this.dir, {recursive: true, force: true});
  }
}

// ---- expected trace assembly (xray-semantics.md §0.1) ---------------------------------------

function* walk(entity) {
  yield entity;
  for (const child of entity.subsegments || []) yield* walk(child);
}

// Sent documents (parsed, arrival order) -> {trace_id: [top-level docs]}, nested ids.
function expectedTraces(documents) {
  const byTrace = new Map();
  for (const doc of documents) {
    if (!byTrace.has(doc.trace_id)) byTrace.set(doc.trace_id, new Map());
    const docs = byTrace.get(doc.trace_id);
    const old = docs.get(doc.id);
    if (old && !old.in_progress && doc.in_progress) continue;
    docs.delete(doc.id);
    docs.set(doc.id, structuredClone(doc));
  }
  const result = {};
  const nested = new Set();
  for (const [traceId, docs] of byTrace) {
    const top = [...docs.values()].filter((d) => d.type !== 'subsegment');
    let pending = [...docs.values()].filter((d) => d.type === 'subsegment');
    let placed = true;
    while (pending.length && placed) {
      placed = false;
      for (const doc of [...pending]) {
        let parent = null;
        for (const root of top) {
          for (const e of walk(root)) {
            if (e.id === doc.parent_id && e !== doc) { parent = e; break; }
          }
          if (parent) break;
        }
        if (parent) {
          (parent.subsegments = parent.subsegments || []).push(doc);
          nested.add(doc.id);
          pending = pending.filter((d) => d !== doc);
          placed = true;
        }
      }
    }
    result[traceId] = top.concat(pending);
  }
  return {expected: result, nested};
}

// Server-nested subsegments may come in any order after the embedded ones.
function canonical(value, nested) {
  if (Array.isArray(value)) return value.map((v) => canonical(v, nested));
  if (value && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      const v = value[key];
      if (key === 'subsegments' && Array.isArray(v)) {
        const embedded = v.filter((c) => !nested.has(c.id)).map((c) => canonical(c, nested));
        const streamed = v.filter((c) => nested.has(c.id)).map((c) => canonical(c, nested));
        streamed.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
        out[key] = embedded.concat(streamed);
      } else {
        out[key] = canonical(v, nested);
      }
    }
    return out;
  }
  return value;
}

function assertTracesEqual(expected, nested, got) {
  for (const [traceId, docs] of Object.entries(expected)) {
    assert.ok(got[traceId], `trace ${traceId} not returned`);
    const key = (d) => `${d.id} ${JSON.stringify(d)}`;
    const sortDocs = (list) => list.map((d) => canonical(d, nested))
        .sort((a, b) => (key(a) < key(b) ? -1 : 1));
    assert.deepEqual(sortDocs(got[traceId].filter((d) => !d.inferred)), sortDocs(docs),
        `trace ${traceId} differs`);
  }
}

// ---- main ------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.binary || !fs.existsSync(opts.binary)) {
    console.log('FAIL: roentgen binary not found (pass --binary or set ROENTGEN_BINARY)');
    return 1;
  }
  // Resolve both clients before anything starts, so a missing install is a clean skip.
  const xray = requireClient('@aws-sdk/client-xray');
  requireClient('aws-xray-sdk-core/package.json');

  const server = new Server(opts.binary);
  const cleanup = () => server.cleanup();
  process.on('exit', cleanup);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => process.exit(1));
  await server.start();

  // The SDK reads AWS_XRAY_DAEMON_ADDRESS when it is loaded.
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${server.udpPort}`;
  process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
  const AWSXRay = requireClient('aws-xray-sdk-core');
  const SegmentEmitter = require(require.resolve('aws-xray-sdk-core/dist/lib/segment_emitter',
                                                 {paths: [HERE]}));
  AWSXRay.setLogger({error: () => {}, warn: () => {}, info: () => {}, debug: () => {}});
  AWSXRay.enableManualMode();
  AWSXRay.middleware.disableCentralizedSampling();
  AWSXRay.middleware.setDefaultName('order-processor');
  AWSXRay.middleware.setSamplingRules({
    version: 2,
    rules: [{description: 'everything', host: '*', http_method: '*', url_path: '*',
             fixed_target: 0, rate: 1.0}],
    default: {fixed_target: 0, rate: 1.0},
  });
  assert.equal(Number(SegmentEmitter.getPort()), server.udpPort,
               'AWS_XRAY_DAEMON_ADDRESS not used');

  // Record every datagram the SDK's emitter sends (it still goes out over its own UDP socket).
  const sent = [];
  const dgram = require('node:dgram');
  const realSocket = dgram.createSocket('udp4');
  SegmentEmitter.socket = {
    send(msg, offset, length, port, address, callback) {
      sent.push(Buffer.from(msg.subarray(offset, offset + length)).toString('utf8'));
      realSocket.send(msg, offset, length, port, address, callback);
    },
  };
  const sentDocuments = (from) => sent.slice(from).map((m) => {
    const nl = m.indexOf('\n');
    assert.deepEqual(JSON.parse(m.slice(0, nl)), {format: 'json', version: 1});
    return JSON.parse(m.slice(nl + 1));
  });

  const client = new xray.XRayClient({
    endpoint: server.endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: {accessKeyId: 'AKIDEXAMPLE',
                  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'},
  });

  async function getDocuments(traceIds) {
    const out = {};
    for (let i = 0; i < traceIds.length; i += 5) {
      const command = new xray.BatchGetTracesCommand({TraceIds: traceIds.slice(i, i + 5)});
      const r = await client.send(command);
      for (const t of r.Traces || []) out[t.Id] = t.Segments.map((s) => JSON.parse(s.Document));
    }
    return out;
  }

  async function waitAndCompare(docs) {
    const {expected, nested} = expectedTraces(docs);
    const want = (tid) => new Set([...expected[tid]].flatMap((d) => [...walk(d)].map((e) => e.id)));
    let got = {};
    const deadline = Date.now() + 15000;
    for (;;) {
      got = await getDocuments(Object.keys(expected));
      const done = Object.keys(expected).every((tid) => {
        const have = new Set((got[tid] || []).flatMap((d) => [...walk(d)].map((e) => e.id)));
        return [...want(tid)].every((id) => have.has(id));
      });
      if (done || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertTracesEqual(expected, nested, got);
    return got;
  }

  const tests = [];
  const test = (name, fn) => tests.push({name, fn});

  test('manual mode: segment, subsegments, annotations, metadata, error', async () => {
    const from = sent.length;
    const seg = new AWSXRay.Segment('order-processor');
    seg.addAnnotation('service', 'order-processor');
    seg.addAnnotation('quantity', 3);
    seg.addAnnotation('priority_customer', true);
    seg.addMetadata('order', {id: 'o-1', items: [{sku: 'A', qty: 3}]});
    seg.addMetadata('debug', {cache: 'miss'}, 'order_processor');
    seg.setUser('user-123');
    const put = seg.addNewSubsegment('dynamodb_put_item');
    const ddb = put.addNewSubsegment('DynamoDB');
    ddb.namespace = 'aws';
    ddb.addAttribute('aws', {operation: 'PutItem', table_name: 'orders', region: 'us-east-1',
                             request_id: 'REQ1', retries: 0});
    ddb.close();
    put.close();
    const notify = seg.addNewSubsegment('send_notification');
    notify.addAnnotation('channel', 'email');
    notify.close(new Error('notification service unavailable'));
    seg.close();
    const docs = sentDocuments(from);
    assert.equal(docs.length, 1, 'one datagram: the whole segment');
    const got = await waitAndCompare(docs);
    const top = got[seg.trace_id].filter((d) => !d.inferred);
    assert.equal(top.length, 1);
    const doc = top[0];
    assert.deepEqual(doc.annotations,
                     {service: 'order-processor', quantity: 3, priority_customer: true});
    assert.deepEqual(doc.metadata.default.order, {id: 'o-1', items: [{sku: 'A', qty: 3}]});
    assert.deepEqual(doc.metadata.order_processor.debug, {cache: 'miss'});
    assert.equal(doc.user, 'user-123');
    assert.equal(doc.aws.xray.sdk_version, '3.12.0');
    const subs = Object.fromEntries(doc.subsegments.map((s) => [s.name, s]));
    assert.equal(subs.dynamodb_put_item.subsegments[0].aws.operation, 'PutItem');
    assert.equal(subs.send_notification.fault, true);
    const exc = subs.send_notification.cause.exceptions[0];
    assert.equal(exc.message, 'notification service unavailable');
    assert.equal(exc.type, 'Error');
    assert.ok(exc.stack.length > 0);
  });

  test('segment closed with an error', async () => {
    const from = sent.length;
    const seg = new AWSXRay.Segment('order-processor');
    seg.close(new TypeError("Cannot read properties of undefined (reading 'id')"));
    const got = await waitAndCompare(sentDocuments(from));
    const doc = got[seg.trace_id][0];
    assert.equal(doc.fault, true);
    assert.equal(doc.cause.exceptions[0].type, 'TypeError');
  });

  test('streamed subsegments (threshold 0) come back nested', async () => {
    AWSXRay.setStreamingThreshold(0);
    try {
      const from = sent.length;
      const seg = new AWSXRay.Segment('order-processor');
      const a = seg.addNewSubsegment('validate');
      const b = seg.addNewSubsegment('reserve_stock');
      const c = seg.addNewSubsegment('charge_card');
      a.close();
      b.close();
      c.close();
      seg.close();
      const docs = sentDocuments(from);
      assert.equal(docs.filter((d) => d.type === 'subsegment').length, 2, 'two streamed');
      const got = await waitAndCompare(docs);
      const top = got[seg.trace_id].filter((d) => !d.inferred);
      assert.equal(top.length, 1);
      assert.deepEqual(top[0].subsegments.map((s) => s.name).sort(),
                       ['charge_card', 'reserve_stock', 'validate']);
      assert.equal(top[0].subsegments[0].name, 'charge_card', 'embedded one first');
    } finally {
      AWSXRay.setStreamingThreshold(100);
    }
  });

  test('middleware with the local rule samples every request', async () => {
    const from = sent.length;
    const app = http.createServer((req, res) => {
      const seg = AWSXRay.middleware.traceRequestResponseCycle(req, res);
      seg.addAnnotation('path', req.url);
      const status = req.url.endsWith('/fail') ? 500 : req.url.endsWith('/throttled') ? 429 : 200;
      res.writeHead(status, {'content-type': 'text/plain'});
      res.end('ok');
    });
    await new Promise((r) => app.listen(0, '127.0.0.1', r));
    const port = app.address().port;
    const paths = ['/orders/1', '/orders/2', '/orders/3', '/orders/fail', '/orders/throttled'];
    for (const p of paths) {
      await new Promise((resolve, reject) => {
        http.get({host: '127.0.0.1', port, path: p, agent: false}, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
    }
    await new Promise((r) => setTimeout(r, 50));  // 'finish' closes the segment
    app.close();
    const docs = sentDocuments(from);
    assert.equal(docs.length, paths.length, 'every request sampled (rate 1.0)');
    const got = await waitAndCompare(docs);
    const byPath = {};
    for (const list of Object.values(got)) for (const d of list) byPath[d.annotations.path] = d;
    assert.equal(byPath['/orders/fail'].fault, true);
    assert.equal(byPath['/orders/throttled'].throttle, true);
    assert.equal(byPath['/orders/throttled'].error, true);
    assert.equal(byPath['/orders/1'].http.response.status, 200);
    assert.equal(byPath['/orders/1'].http.request.method, 'GET');
  });

  test('PutTraceSegments through @aws-sdk/client-xray', async () => {
    const rnd = (n) =>
      [...Array(n)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    const now = Date.now() / 1000;
    const traceId = `1-${Math.floor(now).toString(16)}-${rnd(24)}`;
    const root = {trace_id: traceId, id: rnd(16), name: 'js-sdk', start_time: now - 0.5,
                  end_time: now, annotations: {via: 'client-xray'},
                  http: {response: {status: 201}}};
    const child = {type: 'subsegment', trace_id: traceId, parent_id: root.id, id: rnd(16),
                   name: 'child', start_time: now - 0.4, end_time: now - 0.1};
    const bad = {trace_id: 'not-a-trace-id', id: rnd(16), name: 'bad', start_time: now,
                 end_time: now};
    const put = await client.send(new xray.PutTraceSegmentsCommand({
      TraceSegmentDocuments: [root, child, bad].map((d) => JSON.stringify(d)),
    }));
    assert.equal(put.$metadata.httpStatusCode, 200);
    assert.ok(put.$metadata.requestId, 'x-amzn-RequestId surfaced');
    assert.equal(put.UnprocessedTraceSegments.length, 1);
    assert.equal(put.UnprocessedTraceSegments[0].Id, bad.id);
    assert.equal(put.UnprocessedTraceSegments[0].ErrorCode, 'InvalidTraceId');
    const r = await client.send(new xray.BatchGetTracesCommand({TraceIds: [traceId]}));
    assert.deepEqual(r.UnprocessedTraceIds, []);
    assert.equal(r.Traces.length, 1);
    assert.equal(r.Traces[0].Id, traceId);
    assert.equal(r.Traces[0].LimitExceeded, false);
    assert.ok(Math.abs(r.Traces[0].Duration - 0.5) < 0.01, `Duration ${r.Traces[0].Duration}`);
    const {expected, nested} = expectedTraces([root, child]);
    assertTracesEqual(expected, nested,
                      {[traceId]: r.Traces[0].Segments.map((s) => JSON.parse(s.Document))});
  });

  test('errors are parsed by the JS SDK', async () => {
    const epoch = Math.floor(Date.now() / 1000).toString(16);
    const ids = [...Array(6)].map((_, i) => `1-${epoch}-${String(i).padStart(24, '0')}`);
    await assert.rejects(client.send(new xray.BatchGetTracesCommand({TraceIds: ids})), (err) => {
      assert.equal(err.name, 'InvalidRequestException');
      assert.ok(err instanceof xray.InvalidRequestException, 'modeled exception class');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.ok(err.message && err.message.length > 0);
      return true;
    });
  });

  let failed = 0;
  for (const t of tests) {
    try {
      await t.fn();
      console.log(`ok   ${t.name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}\n${e && e.stack ? e.stack : e}`);
    }
  }
  realSocket.close();
  client.destroy();
  if (failed) {
    console.log(`---- roentgen stderr (tail) ----\n${server.stderr.join('').slice(-6000)}`);
  }
  console.log(`${tests.length - failed}/${tests.length} passed`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
