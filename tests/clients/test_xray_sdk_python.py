#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The X-Ray SDK for Python (pip aws-xray-sdk 2.x, the `python3` on PATH) sending to roentgen
over UDP, found through AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:PORT.

Sampling is local and samples everything (a LocalSampler whose default rule has
fixed_target 1 and rate 1.0), so that every request is recorded whatever the server's rules
say; centralized sampling against Roentgen is tested in test_sampling.py and
tests/scenarios/sampling_fleet.py. The SDK's own UDP emitter sends; a thin subclass records
each datagram it sends so the test knows the exact documents. Then BatchGetTraces must return
them all unchanged (independent subsegments of the streamed case nested in their parent), with
the recipe-style fields: annotations (str/int/bool), metadata (default and custom namespace),
user, http, nested `aws` subsegments, an exception (`fault` + `cause`), and SDK info.
Exits 77 when aws-xray-sdk 2.x is not installed for this interpreter.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

sdk = {}


def need_sdk(argv):
    try:
        from aws_xray_sdk import version
        from aws_xray_sdk.core import xray_recorder
        from aws_xray_sdk.core.emitters.udp_emitter import UDPEmitter
        from aws_xray_sdk.core.sampling.local.sampler import LocalSampler
    except ImportError as e:
        harness.skip("aws-xray-sdk (pip, 2.x) not installed for %s (%s)" % (sys.executable, e))
    if not version.VERSION.startswith("2."):
        harness.skip("aws-xray-sdk for %s is %s, not 2.x" % (sys.executable, version.VERSION))
    sdk.update(version=version.VERSION, recorder=xray_recorder, UDPEmitter=UDPEmitter,
               LocalSampler=LocalSampler)
    print("aws-xray-sdk %s on %s" % (version.VERSION, sys.executable))


SAMPLE_ALL = {"version": 2, "rules": [],
              "default": {"fixed_target": 1, "rate": 1.0}}


class XRaySdkPythonTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        os.environ["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:%d" % cls.server.udp_addr[1]
        os.environ["AWS_XRAY_CONTEXT_MISSING"] = "LOG_ERROR"
        sent = cls.sent = []

        class RecordingEmitter(sdk["UDPEmitter"]):
            # Address from AWS_XRAY_DAEMON_ADDRESS (DaemonConfig reads the environment).
            def _send_data(self, data):
                sent.append(data)
                super()._send_data(data)

        cls.emitter = RecordingEmitter()
        assert cls.emitter.port == cls.server.udp_addr[1], "AWS_XRAY_DAEMON_ADDRESS ignored"
        cls.recorder = sdk["recorder"]
        cls.recorder.configure(emitter=cls.emitter, sampling=True,
                               sampler=sdk["LocalSampler"](SAMPLE_ALL), plugins=(),
                               context_missing="LOG_ERROR", service="order-processor",
                               streaming_threshold=30)

    def sent_documents(self, start=0):
        docs = []
        for message in self.sent[start:]:
            header, _, body = message.partition("\n")
            self.assertEqual({"format": "json", "version": 1}, json.loads(header))
            docs.append(json.loads(body))
        return docs

    def wait_and_compare(self, docs):
        expected, nested = harness.expected_traces(docs)

        def complete(got):
            for trace_id, exp in expected.items():
                want = {e["id"] for d in exp for e in harness._walk(d)}
                have = {e.get("id") for d in got.get(trace_id, []) for e in harness._walk(d)}
                if not want <= have:
                    return False
            return True

        got = self.server.wait_for_documents(list(expected), complete, timeout=15)
        self.assertTracesEqual(expected, got, nested)
        return got

    def test_order_segment_with_subsegments_annotations_metadata_exception(self):
        r = self.recorder
        start = len(self.sent)
        seg = r.begin_segment("order-processor")
        seg.put_http_meta("method", "POST")
        seg.put_http_meta("url", "https://api.example.com/orders")
        seg.put_http_meta("user_agent", "test-client/1.0")
        seg.put_http_meta("client_ip", "203.0.113.7")
        seg.set_user("user-123")
        r.put_annotation("service", "order-processor")
        r.put_annotation("quantity", 3)
        r.put_annotation("priority_customer", True)
        r.put_metadata("order", {"id": "o-1", "items": [{"sku": "A", "qty": 3}]})
        r.put_metadata("debug", {"cache": "miss"}, "order_processor")

        with r.in_subsegment("dynamodb_put_item") as local:
            local.put_annotation("table", "orders")
            aws = r.begin_subsegment("DynamoDB", namespace="aws")
            aws.set_aws({"operation": "PutItem", "table_name": "orders", "region": "us-east-1",
                         "request_id": "REQ1", "retries": 0})
            aws.put_http_meta("status", 200)
            r.end_subsegment()

        @r.capture("send_notification")
        def send_notification():
            raise RuntimeError("notification service unavailable")

        try:
            send_notification()
        except RuntimeError:
            pass
        seg.put_http_meta("status", 200)
        r.end_segment()

        docs = self.sent_documents(start)
        self.assertEqual(1, len(docs), "one datagram: the whole segment")
        got = self.wait_and_compare(docs)
        trace_id = seg.trace_id
        top = harness.non_inferred(got[trace_id])
        self.assertEqual(1, len(top))
        doc = top[0]
        self.assertEqual("order-processor", doc["name"])
        self.assertEqual("user-123", doc["user"])
        self.assertEqual({"service": "order-processor", "quantity": 3,
                          "priority_customer": True}, doc["annotations"])
        self.assertEqual({"id": "o-1", "items": [{"sku": "A", "qty": 3}]},
                         doc["metadata"]["default"]["order"])
        self.assertEqual({"cache": "miss"}, doc["metadata"]["order_processor"]["debug"])
        self.assertEqual("POST", doc["http"]["request"]["method"])
        self.assertEqual(200, doc["http"]["response"]["status"])
        self.assertEqual(sdk["version"], doc["aws"]["xray"]["sdk_version"])
        subs = {s["name"]: s for s in doc["subsegments"]}
        self.assertEqual({"dynamodb_put_item", "send_notification"}, set(subs))
        inner = subs["dynamodb_put_item"]["subsegments"][0]
        self.assertEqual("aws", inner["namespace"])
        self.assertEqual("PutItem", inner["aws"]["operation"])
        failed = subs["send_notification"]
        self.assertTrue(failed["fault"])
        exc = failed["cause"]["exceptions"][0]
        self.assertEqual("RuntimeError", exc["type"])
        self.assertEqual("notification service unavailable", exc["message"])
        self.assertTrue(exc["stack"])

    def test_error_segment(self):
        r = self.recorder
        start = len(self.sent)
        seg = r.begin_segment("order-processor")
        seg.put_http_meta("method", "GET")
        seg.put_http_meta("url", "https://api.example.com/orders/fail")
        try:
            {}["missing"]
        except KeyError as e:
            import traceback
            seg.add_exception(e, traceback.extract_stack())
        seg.put_http_meta("status", 500)
        r.end_segment()
        docs = self.sent_documents(start)
        got = self.wait_and_compare(docs)
        doc = harness.non_inferred(got[seg.trace_id])[0]
        self.assertTrue(doc["fault"])
        self.assertEqual(500, doc["http"]["response"]["status"])
        self.assertEqual("KeyError", doc["cause"]["exceptions"][0]["type"])

    def test_continued_upstream_trace(self):
        r = self.recorder
        start = len(self.sent)
        upstream = harness.new_trace_id()
        parent = harness.new_id()
        seg = r.begin_segment("order-processor", traceid=upstream, parent_id=parent,
                              sampling=1)
        r.end_segment()
        got = self.wait_and_compare(self.sent_documents(start))
        doc = harness.non_inferred(got[upstream])[0]
        self.assertEqual(parent, doc["parent_id"])
        self.assertEqual(seg.id, doc["id"])

    def test_streamed_subsegments(self):
        r = self.recorder
        r.configure(streaming_threshold=1)
        self.addCleanup(r.configure, streaming_threshold=30)
        start = len(self.sent)
        seg = r.begin_segment("order-processor")
        for name in ("validate", "reserve_stock", "charge_card", "send_receipt"):
            with r.in_subsegment(name) as sub:
                sub.put_annotation("step", name)
                time.sleep(0.002)
        r.end_segment()
        docs = self.sent_documents(start)
        streamed = [d for d in docs if d.get("type") == "subsegment"]
        self.assertTrue(streamed, "the SDK streamed no subsegment: %s" % docs)
        got = self.wait_and_compare(docs)
        top = harness.non_inferred(got[seg.trace_id])
        self.assertEqual(1, len(top), "streamed subsegments are nested, not top-level")
        self.assertEqual({"validate", "reserve_stock", "charge_card", "send_receipt"},
                         {s["name"] for s in top[0]["subsegments"]})
        for sub in top[0]["subsegments"]:
            self.assertEqual({"step": sub["name"]}, sub["annotations"])

    def test_many_segments_nothing_lost(self):
        r = self.recorder
        start = len(self.sent)
        trace_ids = []
        for i in range(40):
            seg = r.begin_segment("order-processor")
            r.put_annotation("i", i)
            with r.in_subsegment("work"):
                pass
            r.end_segment()
            trace_ids.append(seg.trace_id)
        docs = self.sent_documents(start)
        self.assertEqual(40, len(docs))
        self.wait_and_compare(docs)


if __name__ == "__main__":
    harness.main(extra_checks=need_sdk)
