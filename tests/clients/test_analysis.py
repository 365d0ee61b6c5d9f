#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Trace analysis (docs/trace_analysis.md) through the real clients:

* the recipe's analyzer function (step 11), taken verbatim from the reference recipe, runs
  under this interpreter's boto3 (pip: awsJson1_0 for CloudWatch; Debian's python3-boto3:
  awsQuery) against a real `roentgen serve`, and get-metric-statistics returns what it
  published;
* the same analysis as a Roentgen rule (docs/examples/analysis-rules.json, loaded with
  --analysis-rules) counts ErrorTraces from HasError, so it equals the number of error traces
  (the recipe reads the nonexistent `IsError` and always publishes 0);
* the rules API: validation errors, run on demand, runs kept across a restart;
* the per-trace metrics (Roentgen/Traces, AWS/X-Ray) appear without any rule.

Run with the interpreter whose boto3 should be tested; exits 77 when it has none.
"""

import functools
import json
import os
import random
import re
import sys
import textwrap
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

RULES_FILE = os.path.join(harness.REPO, "docs", "examples", "analysis-rules.json")
RECIPE = "reference/000_91255ed27935efe5.txt"


def recipe_analyzer_source():
    """The analyzer's Python source exactly as the recipe writes it to /tmp/trace-analyzer.py."""
    with open(os.path.join(harness.SHARED, RECIPE), encoding="utf-8") as handle:
        text = handle.read()
    match = re.search(r"cat > /tmp/trace-analyzer\.py << 'EOF'\n(.*?)\n\s*EOF\n", text, re.S)
    if not match:
        raise AssertionError("the recipe's analyzer was not found in " + RECIPE)
    return textwrap.dedent(match.group(1))


def order_trace(rng, end, error=False, slow=False, service="order-processor"):
    trace_id = harness.new_trace_id(rng, epoch=int(end) - 5)
    duration = 3.0 if slow else 0.2
    root = harness.segment(trace_id, "xray-monitoring-api/prod", rng,
                           start_time=round(end - duration - 0.1, 6), end_time=round(end, 6),
                           origin="AWS::ApiGateway::Stage",
                           http={"request": {"method": "POST", "url": "http://x/prod/orders"},
                                 "response": {"status": 400 if error else 200}})
    if error:
        root["error"] = True
    child = harness.segment(trace_id, service, rng, parent_id=root["id"],
                            start_time=round(end - duration, 6), end_time=round(end - 0.05, 6),
                            origin="AWS::Lambda::Function")
    if error:
        child["error"] = True
    return trace_id, [root, child]


class AnalysisTest(harness.ServerTestCase):
    def setUp(self):
        try:
            import boto3  # noqa: F401
        except ImportError:
            harness.skip("boto3 not installed for %s" % sys.executable)
        self.rng = random.Random(11)

    @staticmethod
    def call(server, method, path, body=None):
        status, _, data = server.request(method, path, body)
        return status, None, json.loads(data) if data else None

    def clients(self, server):
        import boto3
        session = boto3.session.Session(aws_access_key_id=harness.DUMMY_ACCESS_KEY,
                                        aws_secret_access_key=harness.DUMMY_SECRET_KEY,
                                        region_name="us-east-1")
        return (session.client("xray", endpoint_url=server.endpoint),
                session.client("cloudwatch", endpoint_url=server.endpoint))

    def load_traffic(self, server):
        """12 order-processor traces (3 errors, 2 slow) and 4 inventory-only ones."""
        now = time.time()
        docs, ids = [], []
        kinds = [(False, False)] * 7 + [(True, False)] * 3 + [(False, True)] * 2
        for i, (error, slow) in enumerate(kinds):
            trace_id, trace_docs = order_trace(self.rng, now - 60 + i, error, slow)
            ids.append(trace_id)
            docs += trace_docs
        for i in range(4):
            trace_id, trace_docs = order_trace(self.rng, now - 50 + i, True, True,
                                               service="inventory-manager")
            docs += trace_docs
            ids.append(trace_id)
        server.put_ok(docs)
        # Wait until every trace is searchable and sealed (the quiet period is 2 s).
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _, body = server.post_json("/TraceSummaries", {
                "StartTime": now - 600, "EndTime": now + 60, "TimeRangeType": "Event",
                "FilterExpression": "partial = false"})
            self.assertEqual(status, 200, body)
            if len(body["TraceSummaries"]) == len(ids):
                break
            time.sleep(0.3)
        time.sleep(2.5)
        return ids

    def metric_sum(self, cloudwatch, namespace, name, dimensions=(), minutes=15):
        end = time.time() + 120
        answer = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName=name,
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions],
            StartTime=end - minutes * 60, EndTime=end, Period=60,
            Statistics=["Sum", "SampleCount"])
        return sum(p["Sum"] for p in answer["Datapoints"]), answer["Datapoints"]

    def test_recipe_analyzer_and_the_rule_publish_the_recipe_metrics(self):
        server = self.start_server(args=["--analysis-rules", RULES_FILE])
        self.load_traffic(server)
        xray, cloudwatch = self.clients(server)

        # The recipe's analyzer, unchanged: its module-level boto3.client calls are pointed
        # at Roentgen (older boto3 has no AWS_ENDPOINT_URL).
        import boto3
        source = recipe_analyzer_source()
        self.assertIn("t.get('IsError')", source)
        original = boto3.client
        boto3.client = functools.partial(original, endpoint_url=server.endpoint,
                                         region_name="us-east-1",
                                         aws_access_key_id=harness.DUMMY_ACCESS_KEY,
                                         aws_secret_access_key=harness.DUMMY_SECRET_KEY)
        try:
            namespace = {"__name__": "trace_analyzer"}
            exec(compile(source, "trace-analyzer.py", "exec"), namespace)
            result = namespace["lambda_handler"]({}, None)
        finally:
            boto3.client = original
        self.assertEqual(result["statusCode"], 200, result)
        body = json.loads(result["body"])
        self.assertEqual(body, {"total_traces": 12, "error_traces": 0, "high_latency_traces": 2})

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            total, _ = self.metric_sum(cloudwatch, "XRay/Analysis", "TotalTraces")
            if total == 12:
                break
            time.sleep(0.2)
        self.assertEqual(total, 12)
        self.assertEqual(self.metric_sum(cloudwatch, "XRay/Analysis", "ErrorTraces")[0], 0)
        self.assertEqual(self.metric_sum(cloudwatch, "XRay/Analysis", "HighLatencyTraces")[0], 2)

        # The same as a rule: ErrorTraces counts the traces with HasError (3).
        status, _, listed = self.call(server, "GET", "/analysis/rules")
        self.assertEqual(status, 200, listed)
        self.assertEqual([r["rule"]["name"] for r in listed["rules"]], ["recipe-trace-analysis"])
        self.assertEqual(listed["rules"][0]["rule"]["source"], "file")
        status, _, ran = self.call(server, "POST", "/analysis/rules/recipe-trace-analysis/run")
        self.assertEqual(status, 200, ran)
        run = ran["run"]
        self.assertTrue(run["ok"], run)
        self.assertEqual(run["values"], {"TotalTraces": 12, "ErrorTraces": 3,
                                         "HighLatencyTraces": 2})
        self.assertEqual(run["traces_matched"], 12)
        self.assertGreaterEqual(run["traces_scanned"], 16)
        # Both publications are in the store now (the analyzer's and the rule's).
        self.assertEqual(self.metric_sum(cloudwatch, "XRay/Analysis", "TotalTraces")[0], 24)
        self.assertEqual(self.metric_sum(cloudwatch, "XRay/Analysis", "ErrorTraces")[0], 3)

        # Metrics from every trace, without any rule (published every 10 s).
        deadline = time.monotonic() + 30
        traces = 0
        while time.monotonic() < deadline:
            traces, _ = self.metric_sum(cloudwatch, "Roentgen/Traces", "TraceCount",
                                        [("GroupName", "Default")])
            if traces >= 16:
                break
            time.sleep(0.5)
        self.assertEqual(traces, 16)
        self.assertEqual(self.metric_sum(cloudwatch, "AWS/X-Ray", "ApproximateTraceCount",
                                         [("GroupName", "Default")])[0], 16)
        self.assertEqual(self.metric_sum(cloudwatch, "AWS/X-Ray", "TracesReceived")[0], 16)
        self.assertEqual(self.metric_sum(
            cloudwatch, "Roentgen/Traces", "RequestCount",
            [("GroupName", "Default"), ("ServiceName", "order-processor"),
             ("ServiceType", "AWS::Lambda::Function")])[0], 12)
        self.assertEqual(self.metric_sum(
            cloudwatch, "Roentgen/Traces", "ErrorCount",
            [("GroupName", "Default"), ("ServiceName", "order-processor"),
             ("ServiceType", "AWS::Lambda::Function")])[0], 3)
        # The analyzer's and the run's GetTraceSummaries-style scans count as TracesScanned.
        self.assertGreater(self.metric_sum(cloudwatch, "AWS/X-Ray", "TracesScanned")[0], 0)
        del xray

    def test_rules_api_validates_runs_and_survives_a_restart(self):
        server = self.start_server()
        rule = {"filter": 'service("order-processor") AND', "schedule": "rate(5 minutes)",
                "window_seconds": 300, "namespace": "Shop/Orders",
                "metrics": [{"name": "SlowOrders", "kind": "count"}]}
        status, _, error = self.call(server, "PUT", "/analysis/rules/slow-orders",
                                          json.dumps(rule).encode())
        self.assertEqual(status, 400, error)
        self.assertIn("column", error["Message"])
        rule["filter"] = 'service("order-processor") AND responsetime > 1'
        rule["schedule"] = "every 5 minutes"
        status, _, error = self.call(server, "PUT", "/analysis/rules/slow-orders",
                                          json.dumps(rule).encode())
        self.assertEqual(status, 400, error)
        self.assertIn("schedule", error["Message"])
        rule["schedule"] = "rate(5 minutes)"
        status, _, put = self.call(server, "PUT", "/analysis/rules/slow-orders",
                                        json.dumps(rule).encode())
        self.assertEqual(status, 200, put)
        self.assertGreater(put["next_run"], time.time() + 200)
        self.load_traffic(server)
        status, _, ran = self.call(server, "POST", "/analysis/rules/slow-orders/run")
        self.assertEqual(status, 200, ran)
        self.assertEqual(ran["run"]["values"], {"SlowOrders": 2})
        status, _, missing = self.call(server, "POST", "/analysis/rules/nope/run")
        self.assertEqual(status, 404, missing)

        server.stop()
        server.start()
        status, _, got = self.call(server, "GET", "/analysis/rules/slow-orders")
        self.assertEqual(status, 200, got)
        self.assertEqual(len(got["runs"]), 1)
        self.assertEqual(got["runs"][0]["values"], {"SlowOrders": 2})
        self.assertEqual(got["rule"]["namespace"], "Shop/Orders")
        status, _, _ = self.call(server, "DELETE", "/analysis/rules/slow-orders")
        self.assertEqual(status, 200)
        status, _, listed = self.call(server, "GET", "/analysis/rules")
        self.assertEqual(listed["rules"], [])


if __name__ == "__main__":
    harness.main()
