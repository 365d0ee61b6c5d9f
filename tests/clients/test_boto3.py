#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""boto3 against roentgen: put_trace_segments / batch_get_traces and botocore's restJson1
error parsing. Runs under whichever interpreter starts it; ctest runs it twice:
`python3` on PATH (pip boto3 1.43) and /usr/bin/python3 (Debian python3-boto3 1.26).
Exits 77 when that interpreter has no boto3.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

boto3 = None
botocore = None


def need_boto3(argv):
    global boto3, botocore
    try:
        import boto3 as b3
        import botocore as bc
        import botocore.config  # noqa: F401
        import botocore.exceptions  # noqa: F401
    except ImportError as e:
        harness.skip("boto3 not installed for %s (%s)" % (sys.executable, e))
    boto3, botocore = b3, bc
    print("boto3 %s / botocore %s on %s" % (boto3.__version__, botocore.__version__,
                                            sys.executable))


class Boto3Test(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        os.environ.clear()
        os.environ.update(harness.client_env())
        cls.server = harness.Server()
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        cls.client = harness.boto3_client("xray", cls.server.endpoint)

    def test_put_and_batch_get(self):
        trace = harness.new_trace_id()
        root = harness.segment(trace, name="order-processor", user="alice",
                               annotations={"operation": "create_order", "n": 7, "ok": True},
                               metadata={"debug": {"payload": {"items": [1, 2, 3]}}},
                               fault=True,
                               cause={"working_directory": "/srv", "exceptions": [
                                   {"id": harness.new_id(), "message": "boom",
                                    "type": "KeyError", "stack": [
                                        {"path": "app.py", "line": 12, "label": "handler"}]}]})
        child = {"type": "subsegment", "trace_id": trace, "parent_id": root["id"],
                 "id": harness.new_id(), "name": "check_inventory", "namespace": "remote",
                 "start_time": root["start_time"], "end_time": root["end_time"],
                 "http": {"request": {"method": "get", "url": "http://inventory/check"},
                          "response": {"status": 503}}, "fault": True}
        grandchild = {"type": "subsegment", "trace_id": trace, "parent_id": child["id"],
                      "id": harness.new_id(), "name": "retry", "start_time": root["start_time"],
                      "end_time": root["end_time"]}
        docs = [grandchild, root, child]  # children may arrive before their parents
        resp = self.client.put_trace_segments(
            TraceSegmentDocuments=[json.dumps(d) for d in docs])
        self.assertEqual([], resp["UnprocessedTraceSegments"])
        self.assertEqual(200, resp["ResponseMetadata"]["HTTPStatusCode"])
        self.assertTrue(resp["ResponseMetadata"]["RequestId"])

        got = self.client.batch_get_traces(TraceIds=[trace])
        self.assertEqual([], got["UnprocessedTraceIds"])
        self.assertEqual(1, len(got["Traces"]))
        t = got["Traces"][0]
        self.assertEqual(trace, t["Id"])
        self.assertAlmostEqual(root["end_time"] - root["start_time"], t["Duration"], places=3)
        self.assertFalse(t["LimitExceeded"])
        returned = {trace: [json.loads(s["Document"]) for s in t["Segments"]]}
        expected, nested = harness.expected_traces(docs)
        self.assertTracesEqual(expected, returned, nested)
        seg = harness.non_inferred(returned[trace])[0]
        self.assertEqual("retry", seg["subsegments"][0]["subsegments"][0]["name"])

    def test_paginator_and_unknown_ids(self):
        traces = [harness.new_trace_id() for _ in range(3)]
        docs = [harness.segment(t) for t in traces]
        self.client.put_trace_segments(TraceSegmentDocuments=[json.dumps(d) for d in docs])
        unknown = harness.new_trace_id()
        pages = list(self.client.get_paginator("batch_get_traces").paginate(
            TraceIds=traces + [unknown]))
        self.assertEqual(1, len(pages))
        self.assertEqual(sorted(traces), sorted(t["Id"] for t in pages[0]["Traces"]))
        self.assertEqual([unknown], pages[0]["UnprocessedTraceIds"])
        for trace in pages[0]["Traces"]:
            doc = json.loads(trace["Segments"][0]["Document"])
            self.assertIn(doc, docs)

    def test_unprocessed_segments(self):
        good = harness.segment()
        no_end = harness.segment()
        del no_end["end_time"]
        resp = self.client.put_trace_segments(
            TraceSegmentDocuments=[json.dumps(good), json.dumps(no_end), '{"trace_id":'])
        unprocessed = resp["UnprocessedTraceSegments"]
        self.assertEqual(2, len(unprocessed), unprocessed)
        by_id = {u.get("Id"): u for u in unprocessed}
        self.assertIn(no_end["id"], by_id)
        for entry in unprocessed:
            self.assertTrue(entry.get("ErrorCode"), entry)
            self.assertTrue(entry.get("Message"), entry)
        got = self.client.batch_get_traces(TraceIds=[good["trace_id"], no_end["trace_id"]])
        self.assertEqual([good["trace_id"]], [t["Id"] for t in got["Traces"]])
        self.assertEqual([no_end["trace_id"]], got["UnprocessedTraceIds"])

    def test_error_parsing(self):
        ids = [harness.new_trace_id() for _ in range(6)]
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client.batch_get_traces(TraceIds=ids)
        err = ctx.exception.response
        self.assertEqual("InvalidRequestException", err["Error"]["Code"])
        self.assertTrue(err["Error"]["Message"], err)
        self.assertEqual(400, err["ResponseMetadata"]["HTTPStatusCode"])
        self.assertTrue(err["ResponseMetadata"].get("RequestId"), err)
        # The modeled exception class is raised, too.
        self.assertIsInstance(ctx.exception, self.client.exceptions.InvalidRequestException)

    def test_error_parsing_next_token(self):
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            self.client.batch_get_traces(TraceIds=[harness.new_trace_id()],
                                         NextToken="bogus")
        self.assertEqual("InvalidRequestException", ctx.exception.response["Error"]["Code"])


if __name__ == "__main__":
    harness.main(extra_checks=need_boto3)
