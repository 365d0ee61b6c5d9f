#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Durability: an acknowledged PutTraceSegments is never lost, whatever kills the server.

Several rounds on one data dir: a few threads post batches of unique documents (segments,
some with independent subsegments) over HTTP and record which documents were acknowledged
(HTTP 200 and not listed in UnprocessedTraceSegments); the server is killed with SIGKILL at a
random moment; it is restarted on the same data dir and every document acknowledged so far,
in any round, must come back from BatchGetTraces unchanged (independent subsegments nested in
their parent). Unacknowledged documents may be missing but never altered. A last round stops
the server with SIGTERM while the writers are still busy: exit code 0 and, after a restart,
everything acknowledged is there.

The RNG seed is printed; set ROENTGEN_CRASH_SEED to repeat a run. Runtime is about 20 s.
"""

import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

KILL_ROUNDS = 8
WRITERS = 4
SERVER_ARGS = ["--quiet-period", "200ms", "--block-max-age", "1s"]


class Ledger:
    """What was sent and what was acknowledged. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = {}  # id -> document (dict), every document ever posted
        self.acked = {}  # id -> document, acknowledged ones
        self.independent = set()  # ids of independent subsegments
        self.requests = 0
        self.failed_requests = 0

    def record_sent(self, docs):
        with self.lock:
            for d in docs:
                self.sent[d["id"]] = d
                if d.get("type") == "subsegment":
                    self.independent.add(d["id"])

    def record_ack(self, docs, unprocessed_ids):
        with self.lock:
            self.requests += 1
            for d in docs:
                if d["id"] not in unprocessed_ids:
                    self.acked[d["id"]] = d


def make_batch(rng, max_docs=10):
    """A batch of new documents over 1-4 traces; about one in four is an independent
    subsegment whose parent (a segment or another subsegment) is in the same batch."""
    now = time.time()
    traces = [harness.new_trace_id(rng) for _ in range(rng.randint(1, 4))]
    docs = []
    for _ in range(rng.randint(1, max_docs)):
        trace = rng.choice(traces)
        parents = [d for d in docs if d["trace_id"] == trace]
        start = round(now - rng.uniform(0.01, 2.0), 6)
        doc = {"trace_id": trace, "id": harness.new_id(rng), "name": "svc-%d" % rng.randint(0, 9),
               "start_time": start, "end_time": round(start + rng.uniform(0, 0.5), 6),
               "annotations": {"n": rng.randint(0, 10**6), "flag": rng.random() < 0.5},
               "metadata": {"default": {"blob": "x" * rng.randint(0, 2000)}}}
        if parents and rng.random() < 0.25:
            doc["type"] = "subsegment"
            doc["parent_id"] = rng.choice(parents)["id"]
        elif rng.random() < 0.3:
            doc["subsegments"] = [{"id": harness.new_id(rng), "name": "inner",
                                   "start_time": start, "end_time": doc["end_time"]}]
        docs.append(doc)
    return docs


def writer(server, ledger, stop, seed):
    rng = random.Random(seed)
    conn = None
    try:
        while not stop.is_set():
            docs = make_batch(rng)
            ledger.record_sent(docs)
            body = json.dumps({"TraceSegmentDocuments": [json.dumps(d) for d in docs]})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(*server.http_addr, timeout=30)
                conn.request("POST", "/TraceSegments", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException):
                with ledger.lock:
                    ledger.failed_requests += 1
                if conn is not None:
                    conn.close()
                    conn = None
                if not server.running():
                    return
                time.sleep(0.01)
                continue
            if resp.status != 200:
                with ledger.lock:
                    ledger.failed_requests += 1
                continue
            unprocessed = {u.get("Id") for u in json.loads(data)["UnprocessedTraceSegments"]}
            ledger.record_ack(docs, unprocessed)
            # Bounded rate (<= ~100 requests/s per writer): the verification cost, and so the
            # runtime, stays about the same on fast and slow machines.
            time.sleep(0.01)
    finally:
        if conn is not None:
            conn.close()


def strip_nested(entity, independent):
    """The entity as sent: subsegments that the server nested into it are removed."""
    out = dict(entity)
    if "subsegments" in out:
        subs = [strip_nested(s, independent) for s in out["subsegments"]
                if s.get("id") not in independent]
        if subs:
            out["subsegments"] = subs
        else:
            del out["subsegments"]
    return out


class CrashTest(harness.ServerTestCase):

    def setUp(self):
        seed = os.environ.get("ROENTGEN_CRASH_SEED")
        self.seed = int(seed) if seed else random.SystemRandom().getrandbits(32)
        print("\nROENTGEN_CRASH_SEED=%d" % self.seed, flush=True)
        self.rng = random.Random(self.seed)
        self.dir = tempfile.mkdtemp(prefix="roentgen-crash-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.data_dir = os.path.join(self.dir, "data")
        self.ledger = Ledger()

    def start(self):
        return self.start_server(data_dir=self.data_dir, args=SERVER_ARGS)

    def ingest(self, server, stop_server, min_s, max_s):
        """Writers post until stop_server(server) (called after a random delay) ends it."""
        stop = threading.Event()
        threads = [threading.Thread(target=writer, daemon=True,
                                    args=(server, self.ledger, stop, self.rng.getrandbits(64)))
                   for _ in range(WRITERS)]
        acked_before = len(self.ledger.acked)
        for t in threads:
            t.start()
        time.sleep(self.rng.uniform(min_s, max_s))
        result = stop_server(server)
        stop.set()
        for t in threads:
            t.join(60)
            self.assertFalse(t.is_alive(), "a writer hangs")
        return result, len(self.ledger.acked) - acked_before

    def verify(self, server, context):
        """Every acknowledged document is returned unchanged; nothing returned is altered."""
        ledger = self.ledger
        by_trace = {}
        for doc in ledger.acked.values():
            by_trace.setdefault(doc["trace_id"], []).append(doc["id"])
        got = server.get_documents(list(by_trace))
        missing_traces = set(by_trace) - set(got)
        self.assertFalse(missing_traces, "%s: %d acknowledged traces missing, e.g. %s" %
                         (context, len(missing_traces), sorted(missing_traces)[:3]))
        seen = {}
        for trace_id, docs in got.items():
            for top in docs:
                for entity in harness._walk(top):
                    eid = entity.get("id")
                    if eid in ledger.sent:
                        self.assertNotIn(eid, seen, "%s: %s returned twice" % (context, eid))
                        seen[eid] = entity
        missing = [i for i in ledger.acked if i not in seen]
        self.assertFalse(missing, "%s: %d of %d acknowledged documents missing, e.g. %s" %
                         (context, len(missing), len(ledger.acked), missing[:3]))
        for eid, entity in seen.items():
            want = strip_nested(ledger.sent[eid], ledger.independent)
            got_doc = strip_nested(entity, ledger.independent)
            self.assertEqual(want, got_doc, "%s: document %s changed" % (context, eid))
        # Independent subsegments are nested in their parent, not top-level.
        for trace_id, docs in got.items():
            for top in docs:
                if top.get("id") in ledger.independent:
                    parent = ledger.sent[top["id"]]["parent_id"]
                    self.assertNotIn(parent, seen, "%s: %s not nested in %s" %
                                     (context, top["id"], parent))

    def test_kill9_and_sigterm(self):
        started = time.monotonic()
        for round_no in range(KILL_ROUNDS):
            server = self.start()
            self.verify(server, "after restart %d" % round_no)
            code, new = self.ingest(server, lambda s: s.kill(), 0.3, 2.0)
            self.assertEqual(-signal.SIGKILL, code)
            print("round %d: SIGKILL, %d acknowledged so far (+%d), %d requests, %d failed" %
                  (round_no, len(self.ledger.acked), new, self.ledger.requests,
                   self.ledger.failed_requests), flush=True)
            self.assertGreater(new, 0, "round %d acknowledged nothing" % round_no)
            server.cleanup()

        server = self.start()
        self.verify(server, "after the last SIGKILL")
        code, new = self.ingest(server, lambda s: s.stop(signal.SIGTERM, timeout=30), 0.5, 1.5)
        self.assertEqual(0, code, "SIGTERM must exit 0\n%s" % server.log_tail())
        print("SIGTERM round: exit %d, %d acknowledged (+%d)" % (code, len(self.ledger.acked),
                                                                new), flush=True)
        self.assertGreater(new, 0)
        server.cleanup()

        server = self.start()
        self.verify(server, "after SIGTERM")
        code = server.stop(signal.SIGINT)
        self.assertEqual(0, code, "SIGINT must exit 0")
        print("total %.1f s" % (time.monotonic() - started))


if __name__ == "__main__":
    harness.main()
