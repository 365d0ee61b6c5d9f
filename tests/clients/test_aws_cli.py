#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The real AWS CLIs against roentgen: `aws xray put-trace-segments` then
`aws xray batch-get-traces`, and a service error the CLI shows.

Two CLIs are driven (xray-protocol.md §0): `aws` first on PATH (v1.45, pip/pyenv) and
/usr/bin/aws (v2.9, Debian). `--cli v1` or `--cli v2` runs only one of them (ctest registers
each separately); by default both run. A CLI that is missing (or not the expected major
version) is skipped; the file exits 77 when every selected CLI is missing.
Credentials are dummies from the environment; config files point to /dev/null.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

SELECTED = {"v1", "v2"}
CLIS = {}  # "v1"/"v2" -> path, filled by find_clis()
MISSING = {}  # "v1"/"v2" -> reason


def find_clis(argv):
    global SELECTED
    if "--cli" in argv:
        i = argv.index("--cli")
        SELECTED = {argv[i + 1]}
        del argv[i:i + 2]
    candidates = {"v1": shutil.which("aws"), "v2": "/usr/bin/aws"}
    what = {"v1": "aws CLI v1 (first `aws` on PATH)", "v2": "/usr/bin/aws (CLI v2)"}
    for major, path in candidates.items():
        if major not in SELECTED:
            continue
        if not path or not os.access(path, os.X_OK):
            MISSING[major] = "%s not installed" % what[major]
            continue
        try:
            out = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 env=harness.client_env(), timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            MISSING[major] = "%s does not run: %s" % (what[major], e)
            continue
        version = (out.stdout + out.stderr).strip()
        want = "aws-cli/1." if major == "v1" else "aws-cli/2."
        if not version.startswith(want):
            MISSING[major] = "%s is %r, not %s*" % (path, version, want)
            continue
        CLIS[major] = path
    if not CLIS:
        harness.skip("; ".join(MISSING[m] for m in sorted(MISSING)))


class AwsCliTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server()
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()

    def aws(self, cli, *args):
        cmd = [CLIS[cli], "xray", *args, "--endpoint-url", self.server.endpoint,
               "--region", "us-east-1", "--output", "json"]
        return subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                              timeout=120)

    def for_each_cli(self, check):
        for cli in sorted(SELECTED):
            with self.subTest(cli=cli):
                if cli not in CLIS:
                    self.skipTest(MISSING[cli])
                check(cli)

    def test_put_then_batch_get(self):
        self.for_each_cli(self.check_put_then_batch_get)

    def check_put_then_batch_get(self, cli):
        trace_a, trace_b = harness.new_trace_id(), harness.new_trace_id()
        root = harness.segment(trace_a, name="order-processor",
                               http={"request": {"method": "POST",
                                                 "url": "https://api.example.com/orders"},
                                     "response": {"status": 200}},
                               annotations={"operation": "create_order", "cli": cli,
                                            "qty": 3, "vip": True},
                               metadata={"default": {"nested": {"a": [1, 2.5, None]}}})
        sub = {"type": "subsegment", "trace_id": trace_a, "parent_id": root["id"],
               "id": harness.new_id(), "name": "dynamodb", "namespace": "aws",
               "start_time": root["start_time"], "end_time": root["end_time"],
               "aws": {"operation": "PutItem", "table_name": "orders"}}
        open_seg = {"trace_id": trace_b, "id": harness.new_id(), "name": "order-processor",
                    "start_time": root["start_time"], "in_progress": True}
        docs = [root, sub, open_seg]
        put = self.aws(cli, "put-trace-segments", "--trace-segment-documents",
                       *[json.dumps(d) for d in docs])
        self.assertEqual(0, put.returncode, put.stderr)
        self.assertEqual([], json.loads(put.stdout)["UnprocessedTraceSegments"])

        got = self.aws(cli, "batch-get-traces", "--trace-ids", trace_a, trace_b)
        self.assertEqual(0, got.returncode, got.stderr)
        answer = json.loads(got.stdout)
        self.assertEqual([], answer.get("UnprocessedTraceIds", []))
        traces = {t["Id"]: t for t in answer["Traces"]}
        self.assertEqual({trace_a, trace_b}, set(traces))
        for trace in traces.values():
            self.assertIn("Duration", trace)
            self.assertIs(False, trace["LimitExceeded"])
        returned = {tid: [json.loads(s["Document"]) for s in t["Segments"]]
                    for tid, t in traces.items()}
        expected, nested = harness.expected_traces(docs)
        self.assertTracesEqual(expected, returned, nested)
        ids = {s["Id"] for s in traces[trace_a]["Segments"]}
        self.assertIn(root["id"], ids)
        self.assertNotIn(sub["id"], ids, "the subsegment is nested, not a segment")

    def test_unknown_trace_is_unprocessed(self):
        self.for_each_cli(self.check_unknown_trace_is_unprocessed)

    def check_unknown_trace_is_unprocessed(self, cli):
        unknown = harness.new_trace_id()
        got = self.aws(cli, "batch-get-traces", "--trace-ids", unknown)
        self.assertEqual(0, got.returncode, got.stderr)
        answer = json.loads(got.stdout)
        self.assertEqual([], answer["Traces"])
        self.assertEqual([unknown], answer["UnprocessedTraceIds"])

    def test_six_trace_ids_is_a_service_error(self):
        self.for_each_cli(self.check_six_trace_ids_is_a_service_error)

    def check_six_trace_ids_is_a_service_error(self, cli):
        ids = [harness.new_trace_id() for _ in range(6)]
        got = self.aws(cli, "batch-get-traces", "--trace-ids", *ids)
        want_exit = {"v1": 255, "v2": 254}  # service error (xray-protocol.md §1.3)
        self.assertEqual(want_exit[cli], got.returncode, got.stdout + got.stderr)
        self.assertIn("InvalidRequestException", got.stderr)
        self.assertIn("BatchGetTraces", got.stderr)

    def test_rejected_document_is_listed(self):
        self.for_each_cli(self.check_rejected_document_is_listed)

    def check_rejected_document_is_listed(self, cli):
        good = harness.segment()
        bad = harness.segment(trace_id="1-nothex-123")
        put = self.aws(cli, "put-trace-segments", "--trace-segment-documents",
                       json.dumps(good), json.dumps(bad))
        self.assertEqual(0, put.returncode, put.stderr)
        unprocessed = json.loads(put.stdout)["UnprocessedTraceSegments"]
        self.assertEqual(1, len(unprocessed), unprocessed)
        self.assertEqual(bad["id"], unprocessed[0].get("Id"))
        self.assertEqual("InvalidTraceId", unprocessed[0].get("ErrorCode"))
        self.assertEqual({good["trace_id"]: [good]},
                         self.server.get_documents([good["trace_id"]]))


if __name__ == "__main__":
    harness.main(extra_checks=find_clis)
