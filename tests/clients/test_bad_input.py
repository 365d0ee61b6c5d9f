#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Bad input over HTTP and UDP: each is refused the documented way, counted, and leaves the
server serving what it stored before.

PutTraceSegments: a truncated JSON document, a bad trace id, a bad segment id, a missing
end_time and a document over 64 KB are each listed in UnprocessedTraceSegments with a reason
while their siblings in the same call are stored. UDP: a 65,507-byte datagram holding a broken
document, a datagram without the header line and one with a bad header are dropped and counted
by reason in /metrics. HTTP: a 10 MB body → 413 with a JSON error body, a bad gzip body → 400,
an unknown path → 404 JSON error, a malformed JSON body → 400 InvalidRequestException,
BatchGetTraces with 6 ids → 400. Afterwards the earlier traces are still served and /healthz
answers 200.
"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DROPPED = "roentgen_udp_dropped_total"


class BadInputTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        # Something stored before the abuse starts; test_zz_still_serving reads it back.
        cls.before = [harness.segment(name="before-%d" % i) for i in range(3)]
        cls.server.put_ok(cls.before)

    def tearDown(self):
        outcome = getattr(self, "_outcome", None)
        if outcome is not None and not getattr(outcome, "success", True):
            sys.stderr.write("---- roentgen stderr (tail) ----\n%s\n" % self.server.log_tail())

    # -- helpers ----------------------------------------------------------------------------------
    def assertRestJsonError(self, status, headers, body, want_status, want_type=None):
        self.assertEqual(want_status, status, body[:500])
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        parsed = json.loads(body)
        self.assertIsInstance(parsed, dict)
        self.assertTrue(parsed.get("__type"), parsed)
        self.assertIsInstance(parsed.get("Message"), str)
        self.assertTrue(headers.get("x-amzn-errortype"), headers)
        self.assertEqual(parsed["__type"], headers["x-amzn-errortype"].split(":")[0])
        self.assertTrue(headers.get("x-amzn-requestid"), headers)
        if want_type:
            self.assertEqual(want_type, parsed["__type"])
        return parsed

    def put_mixed(self, bad, good_count=2):
        """Posts good documents around `bad` (a string); returns (unprocessed, good docs)."""
        good = [harness.segment(name="sibling") for _ in range(good_count)]
        docs = [json.dumps(good[0]), bad] + [json.dumps(g) for g in good[1:]]
        status, body = self.server.put_trace_segments(docs)
        self.assertEqual(200, status, body)
        unprocessed = body["UnprocessedTraceSegments"]
        self.assertEqual(1, len(unprocessed), unprocessed)
        entry = unprocessed[0]
        self.assertTrue(entry.get("ErrorCode"), entry)
        self.assertTrue(entry.get("Message"), entry)
        got = self.server.get_documents([g["trace_id"] for g in good])
        for g in good:
            self.assertEqual([g], got.get(g["trace_id"]), "sibling not stored")
        return entry, good

    def wait_drop(self, before, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            after = self.server.metrics()
            if harness.metric_sum(after, DROPPED) > harness.metric_sum(before, DROPPED) or \
                    time.monotonic() > deadline:
                return after
            time.sleep(0.02)

    def drop_reason(self, send):
        """Sends one bad datagram; returns the one reason label whose counter went up by 1."""
        before = self.server.metrics()
        send()
        after = self.wait_drop(before)
        changed = {k: after.get(k, 0) - before.get(k, 0) for k in after
                   if k.startswith(DROPPED + "{") and after.get(k, 0) != before.get(k, 0)}
        self.assertEqual(1, len(changed), "expected one reason series +1, got %s" % changed)
        (series, delta), = changed.items()
        self.assertEqual(1, delta)
        self.assertIn('reason="', series)
        # Nothing was stored for it.
        self.assertEqual(harness.metric_sum(before, "roentgen_store_documents_stored_total"),
                         harness.metric_sum(after, "roentgen_store_documents_stored_total"))
        return series

    # -- PutTraceSegments documents ----------------------------------------------------------------
    def test_truncated_document(self):
        doc = json.dumps(harness.segment())
        self.put_mixed(doc[:len(doc) // 2])

    def test_bad_trace_id(self):
        bad = harness.segment(trace_id="1-5759e988-bd862e3fe1be46a99427254")  # 23 hex digits
        entry, _ = self.put_mixed(json.dumps(bad))
        self.assertEqual(bad["id"], entry.get("Id"))
        self.assertEqual("InvalidTraceId", entry["ErrorCode"])

    def test_bad_segment_id(self):
        bad = harness.segment(id="XYZ-not-hex")
        entry, _ = self.put_mixed(json.dumps(bad))
        self.assertEqual("InvalidSegmentId", entry["ErrorCode"])

    def test_missing_end_time(self):
        bad = harness.segment()
        del bad["end_time"]
        entry, _ = self.put_mixed(json.dumps(bad))
        self.assertEqual(bad["id"], entry.get("Id"))
        # It is not stored as an open segment either.
        got = self.server.batch_get_traces([bad["trace_id"]])
        self.assertEqual([], got["Traces"])
        self.assertEqual([bad["trace_id"]], got["UnprocessedTraceIds"])

    def test_document_over_64kb(self):
        bad = harness.segment(metadata={"default": {"blob": "y" * (70 * 1024)}})
        entry, _ = self.put_mixed(json.dumps(bad))
        self.assertEqual("DocumentTooLarge", entry["ErrorCode"])
        got = self.server.batch_get_traces([bad["trace_id"]])
        self.assertEqual([], got["Traces"])

    def test_all_bad_in_one_call(self):
        no_end = harness.segment()
        del no_end["end_time"]
        docs = ['{"trace_id": "1-', json.dumps(harness.segment(trace_id="bogus")),
                json.dumps(harness.segment(id="123")), json.dumps(no_end)]
        status, body = self.server.put_trace_segments(docs)
        self.assertEqual(200, status, body)
        self.assertEqual(4, len(body["UnprocessedTraceSegments"]), body)

    # -- UDP ---------------------------------------------------------------------------------------
    def test_udp_drops_counted_by_reason(self):
        header = harness.DAEMON_HEADER + b"\n"
        broken = b'{"trace_id":"%s","id":"%s","name":"big","start_time":1,"blob":"' % (
            harness.new_trace_id().encode(), harness.new_id().encode())
        datagram = header + broken + b"z" * (65507 - len(header) - len(broken))
        self.assertEqual(65507, len(datagram))

        def send_raw(data):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
                sock.sendto(data, self.server.udp_addr)

        doc = json.dumps(harness.segment()).encode()
        reasons = {
            "broken 65507-byte document": self.drop_reason(lambda: send_raw(datagram)),
            "no header line": self.drop_reason(lambda: send_raw(doc)),
            "bad header": self.drop_reason(
                lambda: send_raw(b'{"format":"xml","version":2}\n' + doc)),
        }
        print("drop reasons: %s" % reasons)
        self.assertEqual(3, len(set(reasons.values())), reasons)
        # A good datagram after all that is still accepted.
        good = harness.segment(name="after-udp-abuse")
        self.server.send_udp(good)
        got = self.server.wait_for_documents([good["trace_id"]],
                                             lambda g: good["trace_id"] in g)
        self.assertEqual([good], got.get(good["trace_id"]))

    # -- HTTP ------------------------------------------------------------------------------------
    def test_ten_megabyte_body_is_413(self):
        size = 10 * 1024 * 1024
        head = ("POST /TraceSegments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % size).encode()
        prefix = b'{"TraceSegmentDocuments":["'
        body = prefix + b"a" * (size - len(prefix) - 3) + b'"]}'
        self.assertEqual(size, len(body))
        with socket.create_connection(self.server.http_addr, timeout=30) as sock:
            sock.sendall(head)
            try:
                sock.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and close before reading it all
            status, headers, resp = harness.read_http_response(sock)
        self.assertRestJsonError(status, headers, resp, 413)

    def test_bad_gzip_is_400(self):
        status, headers, body = self.server.request(
            "POST", "/TraceSegments", b"\x1f\x8b\x08\x00garbage-not-deflate" * 10,
            {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertRestJsonError(status, headers, body, 400)

    def test_good_gzip_is_accepted(self):
        doc = harness.segment(name="gzipped")
        raw = json.dumps({"TraceSegmentDocuments": [json.dumps(doc)]}).encode()
        status, _, body = self.server.request(
            "POST", "/TraceSegments", harness.gzip_bytes(raw),
            {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        self.assertEqual(200, status, body)
        self.assertEqual({"UnprocessedTraceSegments": []}, json.loads(body))
        self.assertEqual({doc["trace_id"]: [doc]}, self.server.get_documents([doc["trace_id"]]))

    def test_unknown_path_is_404(self):
        status, headers, body = self.server.request("POST", "/NoSuchOperation", b"{}",
                                                    {"Content-Type": "application/json"})
        self.assertRestJsonError(status, headers, body, 404)

    def test_malformed_json_body_is_400(self):
        for body in (b'{"TraceSegmentDocuments": [', b"not json at all", b"[1,2,3]"):
            with self.subTest(body=body):
                status, headers, resp = self.server.request(
                    "POST", "/TraceSegments", body, {"Content-Type": "application/json"})
                self.assertRestJsonError(status, headers, resp, 400, "InvalidRequestException")

    def test_malformed_json_batch_get_is_400(self):
        status, headers, resp = self.server.request("POST", "/Traces", b'{"TraceIds": ["1-',
                                                    {"Content-Type": "application/json"})
        self.assertRestJsonError(status, headers, resp, 400, "InvalidRequestException")

    def test_batch_get_six_ids_is_400(self):
        ids = [harness.new_trace_id() for _ in range(6)]
        status, headers, body = self.server.request(
            "POST", "/Traces", json.dumps({"TraceIds": ids}), {"Content-Type": "application/json"})
        self.assertRestJsonError(status, headers, body, 400, "InvalidRequestException")

    def test_zz_still_serving(self):
        """Runs last (alphabetical order): the server survived everything above."""
        self.assertTrue(self.server.running(), self.server.log_tail())
        self.assertEqual(200, self.server.healthz())
        got = self.server.get_documents([d["trace_id"] for d in self.before])
        self.assertEqual({d["trace_id"]: [d] for d in self.before}, got)


if __name__ == "__main__":
    harness.main()
