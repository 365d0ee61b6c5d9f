#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Upgrade check: a data directory written by an older roentgen, read by a newer one.

  tests/scenarios/upgrade_blocks.py OLD_ROENTGEN NEW_ROENTGEN

The old binary ingests 40 traces (PutTraceSegments), seals them and writes its blocks;
SIGTERM. The new binary must return every document unchanged (BatchGetTraces, compared as
JSON), list all 40 in GetTraceSummaries, accept a late segment for one old trace (which
reopens it and reseals it into a block of the new format, superseding the old row), and
after a restart return the trace with all three documents. Prints the block format
versions it saw. Outside CI (it needs a build of an older commit): for a block format
change, build the previous commit's `roentgen` and run this, e.g. with format 2 (commit
a800f21) against format 3.
"""
import glob
import json
import random
import signal
import struct
import subprocess
import sys
import time
import urllib.request
OLD, NEW = sys.argv[1], sys.argv[2]
data = '/tmp/roentgen-upgrade-data'
subprocess.run(['rm', '-rf', data])
port = 38111
def start(binary):
    p = subprocess.Popen([binary, 'serve', '--data-dir', data, '--listen', f'127.0.0.1:{port}',
                          '--quiet-period', '1s', '--block-max-age', '2s'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=1); return p
        except Exception: time.sleep(0.1)
    raise SystemExit('server did not start')
def post(path, body):
    req = urllib.request.Request(f'http://127.0.0.1:{port}{path}', data=json.dumps(body).encode(),
                                 headers={'Content-Type': 'application/json'})
    return json.loads(urllib.request.urlopen(req, timeout=10).read())
def stop(p):
    p.send_signal(signal.SIGTERM); assert p.wait(30) == 0
rng = random.Random(5)
now = time.time() - 60
traces = {}
docs = []
for i in range(40):
    tid = '1-%08x-%s' % (int(now), ''.join(rng.choice('0123456789abcdef') for _ in range(24)))
    root = ''.join(rng.choice('0123456789abcdef') for _ in range(16))
    sub = ''.join(rng.choice('0123456789abcdef') for _ in range(16))
    d1 = {"id": root, "trace_id": tid, "name": "api", "start_time": round(now + i, 6),
          "end_time": round(now + i + 0.25, 6), "http": {"response": {"status": 200}},
          "annotations": {"n": i}, "subsegments": [{"id": sub, "name": "call", "start_time": round(now + i + 0.01, 6),
          "end_time": round(now + i + 0.2, 6), "namespace": "remote"}]}
    d2 = {"id": ''.join(rng.choice('0123456789abcdef') for _ in range(16)), "trace_id": tid,
          "parent_id": sub, "name": "worker", "start_time": round(now + i + 0.02, 3),
          "end_time": round(now + i + 0.19, 3), "request_id": "76964109-4930-4791-9053-8449e2d4f5af"}
    traces[tid] = [d1, d2]
    docs += [json.dumps(d1), json.dumps(d2)]
p = start(OLD)
r = post('/TraceSegments', {"TraceSegmentDocuments": docs})
assert r['UnprocessedTraceSegments'] == [], r
time.sleep(4)
stop(p)
blocks = glob.glob(data + '/blocks/*/*.blk')
versions = set()
for b in blocks:
    raw = open(b, 'rb').read()
    flen = struct.unpack('<I', raw[-16:-12])[0]; versions.add(raw[-16 - flen])
print('old binary wrote', len(blocks), 'blocks, format versions', versions)
assert len(versions) == 1, versions

def check():
    """BatchGetTraces of every trace: each stored document equals what was sent."""
    ids = list(traces)
    got = {}
    for k in range(0, len(ids), 5):
        r = post('/Traces', {"TraceIds": ids[k:k + 5]})
        assert r.get('UnprocessedTraceIds', []) == [], r
        for t in r['Traces']:
            got[t['Id']] = sorted(json.loads(s['Document'])['id'] for s in t['Segments'])
            for s in t['Segments']:
                doc = json.loads(s['Document'])
                want = [d for d in traces[t['Id']] if d['id'] == doc['id']]
                assert want and want[0] == doc, (doc, want)
    for tid, ds in traces.items():
        assert got.get(tid) == sorted(d['id'] for d in ds), (tid, got.get(tid))
    return got


p = start(NEW)
got = check()
print('new binary read all', len(got), 'traces of the format-2 blocks')
r = post('/TraceSummaries', {"StartTime": now - 120, "EndTime": now + 200})
print('summaries:', len(r['TraceSummaries']))
assert len(r['TraceSummaries']) == 40, len(r['TraceSummaries'])
# Reopen an old trace: a new segment for a sealed format-2 trace.
tid0 = list(traces)[0]
d3 = {"id": "00000000000000aa", "trace_id": tid0, "name": "late", "start_time": round(now + 0.5, 6),
      "end_time": round(now + 0.6, 6)}
traces[tid0].append(d3)
assert post('/TraceSegments', {"TraceSegmentDocuments": [json.dumps(d3)]})['UnprocessedTraceSegments'] == []
time.sleep(4)
stop(p)
p = start(NEW)
got = check()
assert len(got[tid0]) == 3, got[tid0]
r = post('/TraceSummaries', {"StartTime": now - 120, "EndTime": now + 200})
assert len(r['TraceSummaries']) == 40, len(r['TraceSummaries'])
stop(p)
versions = set()
for b in glob.glob(data + '/blocks/*/*.blk'):
    raw = open(b, 'rb').read(); flen = struct.unpack('<I', raw[-16:-12])[0]; versions.add(raw[-16 - flen])
print('after the reopen: block versions', versions, '; the reopened trace has', len(got[tid0]), 'documents; 40 summaries')
print('UPGRADE OK')
