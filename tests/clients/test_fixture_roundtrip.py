#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Replays the real client captures (shared/fixtures/clients) into roentgen and checks that
BatchGetTraces returns every document unchanged.

* Every `*.udp` capture (X-Ray SDK for Node 3.12.0, Python 0.95 and 2.15.0) is sent as one
  datagram, exactly as captured. Each returned segment Document must equal, as parsed JSON,
  the sent document, except that independent subsegments (`"type": "subsegment"`: Node
  10/11, Python 0.95 08/09, Python 2.15 09/10) come back nested in their parent's
  `subsegments` (xray-semantics.md §0.1). The expected nesting is computed from the sent
  documents.
* Every `*put-trace-segments*.http` capture (CLI v1/v2, boto3 1.26/1.43, JS SDK v3) is
  replayed byte for byte (head and body) over a raw socket to a fresh server: 200, empty
  UnprocessedTraceSegments, restJson1 headers, and its documents come back equal.
"""

import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def fixtures_dir():
    return os.path.join(harness.SHARED, "fixtures", "clients")


def udp_captures():
    return sorted(glob.glob(os.path.join(fixtures_dir(), "**", "*.udp"), recursive=True))


def put_captures():
    return sorted(glob.glob(os.path.join(fixtures_dir(), "**", "*put-trace-segments*.http"),
                            recursive=True))


def capture_bytes(path):
    """The request as sent: the .http bytes, plus the .bin payload when there is one."""
    with open(path, "rb") as f:
        raw = f.read()
    bin_path = path[:-len(".http")] + ".bin"
    if os.path.exists(bin_path):
        with open(bin_path, "rb") as f:
            payload = f.read()
        head = raw.split(b"\r\n\r\n", 1)[0]
        if b"transfer-encoding: chunked" in head.lower():
            payload = b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)
        raw = head + b"\r\n\r\n" + payload
    return raw


def split_datagram(data):
    header, sep, document = data.partition(b"\n")
    assert sep, "capture without a header line"
    return json.loads(header), document


class FixtureRoundTrip(harness.ServerTestCase):

    def test_captures_exist(self):
        names = [os.path.relpath(p, fixtures_dir()) for p in udp_captures()]
        self.assertEqual(22, len(names), names)
        self.assertEqual(5, len(put_captures()))
        streamed = [n for n in names if "subsegment-" in n]
        self.assertEqual(6, len(streamed), streamed)

    def test_udp_captures_round_trip(self):
        server = self.start_server()
        sent = []
        for path in udp_captures():
            with open(path, "rb") as f:
                data = f.read()
            header, document = split_datagram(data)
            self.assertEqual({"format": "json", "version": 1}, header, path)
            sent.append(json.loads(document))
            server.send_udp(data, header=None)  # the capture already holds the header
        expected, nested = harness.expected_traces(sent)
        # The streaming cases really nest: six independent subsegments in three traces.
        self.assertEqual(6, len(nested))
        streamed_parents = {d["parent_id"] for d in sent if d.get("type") == "subsegment"}
        self.assertEqual(3, len(streamed_parents))
        def complete(got):
            for trace_id in expected:
                have = {e.get("id") for d in got.get(trace_id, []) for e in harness._walk(d)}
                if not _ids_in(expected, trace_id) <= have:
                    return False
            return True

        got = server.wait_for_documents(list(expected), complete, timeout=15)
        missing = set(expected) - set(got)
        self.assertFalse(missing, "traces not returned: %s\nmetrics: %s" %
                         (sorted(missing), _drop_metrics(server)))
        self.assertTracesEqual(expected, got, nested)
        # Nothing was dropped on the way in.
        metrics = server.metrics()
        self.assertEqual(0, harness.metric_sum(metrics, "roentgen_udp_dropped_total"),
                         _drop_metrics(server))

    def test_udp_nesting_positions(self):
        """The three streaming cases, spelled out: each final segment carries its own last
        subsegment plus the two streamed ones (validate, reserve_stock)."""
        server = self.start_server()
        groups = {}
        for path in udp_captures():
            with open(path, "rb") as f:
                data = f.read()
            _, document = split_datagram(data)
            doc = json.loads(document)
            groups.setdefault(doc["trace_id"], []).append(doc)
            server.send_udp(data, header=None)
        streaming = {t: docs for t, docs in groups.items()
                     if any(d.get("type") == "subsegment" for d in docs)}
        self.assertEqual(3, len(streaming))
        got = server.wait_for_documents(
            list(streaming),
            lambda g: all(len(_names(g.get(t, []))) >= 4 for t in streaming), timeout=15)
        for trace_id, docs in streaming.items():
            self.assertIn(trace_id, got)
            top = harness.non_inferred(got[trace_id])
            self.assertEqual(1, len(top), "only the segment is top-level in %s" % trace_id)
            seg = top[0]
            self.assertNotIn("type", seg)
            names = [s["name"] for s in seg["subsegments"]]
            self.assertEqual(["charge_card", "reserve_stock", "validate"], sorted(names),
                             trace_id)
            self.assertEqual("charge_card", names[0], "embedded subsegments stay first")
            for sub in seg["subsegments"][1:]:
                self.assertEqual("subsegment", sub["type"])
                self.assertEqual(seg["id"], sub["parent_id"])
                self.assertEqual(trace_id, sub["trace_id"])

    def test_udp_captures_late_subsegments_seal_and_restart(self):
        """The same captures with the streamed subsegments sent only after their segments were
        sealed and written to a block (quiet period 200ms, block max age 1s); then SIGTERM and
        a restart on the same data dir: still all there, still equal, still nested."""
        args = ["--quiet-period", "200ms", "--block-max-age", "1s"]
        server = self.start_server(args=args)
        sent, late = [], []
        for path in udp_captures():
            with open(path, "rb") as f:
                data = f.read()
            doc = json.loads(split_datagram(data)[1])
            if doc.get("type") == "subsegment":
                late.append((doc, data))
                continue
            sent.append(doc)
            server.send_udp(data, header=None)
        self.assertEqual(6, len(late))
        first, _ = harness.expected_traces(sent)
        server.wait_for_documents(list(first), lambda g: set(first) <= set(g), timeout=15)
        time.sleep(2.5)  # sealed (200ms) and flushed to a block (1s)
        blocks = server.metrics().get("roentgen_store_blocks_written_total")
        if blocks is not None:  # the precondition, where the server exports it
            self.assertGreaterEqual(blocks, 1, "no block was written")
        for doc, data in late:
            sent.append(doc)
            server.send_udp(data, header=None)
        expected, nested = harness.expected_traces(sent)
        self.assertEqual(6, len(nested))

        def complete(got):
            return all(_ids_in(expected, t) <= {e.get("id") for d in got.get(t, [])
                                                for e in harness._walk(d)} for t in expected)

        got = server.wait_for_documents(list(expected), complete, timeout=15)
        self.assertTracesEqual(expected, got, nested, msg="late subsegments")
        self.assertEqual(0, server.stop(), "SIGTERM exit code")
        again = self.start_server(data_dir=server.data_dir, args=args)
        self.assertTracesEqual(expected, again.get_documents(list(expected)), nested,
                               msg="after restart")

    def test_put_trace_segments_captures_replayed(self):
        captures = put_captures()
        self.assertTrue(captures)
        for path in captures:
            name = os.path.relpath(path, fixtures_dir())
            with self.subTest(capture=name):
                server = self.start_server()
                raw = capture_bytes(path)
                status, headers, body = server.send_raw_http(raw)
                self.assertEqual(200, status, "%s: %s" % (name, body))
                self.assertTrue(headers.get("content-type", "").startswith("application/json"),
                                headers)
                self.assertTrue(headers.get("x-amzn-requestid"), headers)
                self.assertEqual({"UnprocessedTraceSegments": []}, json.loads(body))
                request_body = raw.split(b"\r\n\r\n", 1)[1]
                docs = [json.loads(d) for d in json.loads(request_body)["TraceSegmentDocuments"]]
                self.assertTrue(docs)
                expected, nested = harness.expected_traces(docs)
                # Acknowledged means readable: no polling.
                got = server.get_documents(list(expected))
                self.assertTracesEqual(expected, got, nested, msg=name)
                # The in-progress document of the CLI captures is served too.
                for doc in docs:
                    if doc.get("in_progress"):
                        served = got[doc["trace_id"]]
                        self.assertIn(doc, served)


def _ids_in(expected, trace_id):
    return {e.get("id") for d in expected[trace_id] for e in harness._walk(d)}


def _names(docs):
    return [e.get("name") for d in docs for e in harness._walk(d)]


def _drop_metrics(server):
    try:
        return {k: v for k, v in server.metrics().items() if "udp" in k}
    except Exception as e:  # noqa: BLE001 - only for a failure message
        return "metrics unavailable: %s" % e


if __name__ == "__main__":
    harness.main()
