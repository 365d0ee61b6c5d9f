#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""CloudWatch through the real clients (docs/cloudwatch.md): the recipe's two
put-metric-alarm calls, put-dashboard with the recipe's body, describe-alarms,
put-metric-data then get-metric-statistics and get-metric-data, list-metrics,
describe-alarm-history, set-alarm-state, delete-alarms and delete-dashboards, and errors.

`--client cli-v1|cli-v2|boto3|node` picks the client: `aws` v1 and pip boto3 speak
awsJson1_0, /usr/bin/aws (v2) and Debian's boto3 (/usr/bin/python3) speak awsQuery, the JS
SDK v3 speaks awsJson1_0. A missing client exits 77.
"""

import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = None
PROJECT = "xray-monitoring-abc123"

# The recipe's dashboard body, with ${PROJECT_NAME} and ${AWS_REGION} filled in.
RECIPE_DASHBOARD = """{
    "widgets": [
        {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "metrics": [
                    ["AWS/X-Ray", "TracesReceived"],
                    ["AWS/X-Ray", "TracesScanned"],
                    ["AWS/X-Ray", "LatencyHigh"]
                ],
                "period": 300,
                "stat": "Sum",
                "region": "us-east-1",
                "title": "X-Ray Trace Metrics"
            }
        },
        {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "metrics": [
                    ["AWS/Lambda", "Duration", "FunctionName", "%s-order-processor"],
                    ["AWS/Lambda", "Errors", "FunctionName", "%s-order-processor"],
                    ["AWS/Lambda", "Throttles", "FunctionName", "%s-order-processor"]
                ],
                "period": 300,
                "stat": "Average",
                "region": "us-east-1",
                "title": "Lambda Function Metrics"
            }
        }
    ]
}
""" % (PROJECT, PROJECT, PROJECT)

NODE_RUNNER = r"""
const cw = require('@aws-sdk/client-cloudwatch');
const [endpoint, op, paramsJson] = process.argv.slice(1);
const params = JSON.parse(paramsJson, (key, value) =>
  /Time$|Timestamp$|Date$/.test(key) && typeof value === 'number' ? new Date(value * 1000) : value);
const client = new cw.CloudWatchClient({endpoint, region: 'us-east-1', maxAttempts: 1,
  credentials: {accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}});
client.send(new cw[op + 'Command'](params)).then((out) => {
  delete out.$metadata;
  process.stdout.write(JSON.stringify(out));
}, (error) => {
  process.stdout.write(JSON.stringify({__error: error.Code || error.name, message: error.message}));
});
"""


ClientError = harness.ClientError


def iso(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class CloudWatch:
    """call(Operation, **params) -> dict (timestamps as epoch seconds in and out)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        if CLIENT == "boto3":
            self.boto = harness.boto3_client("cloudwatch", endpoint)

    def call(self, operation, **params):
        if CLIENT.startswith("cli"):
            return self._cli(operation, params)
        if CLIENT == "boto3":
            response = harness.boto3_call(self.boto, operation, params)
            return json.loads(json.dumps(response, default=lambda d: d.timestamp()))
        return self._node(operation, params)

    def _cli(self, operation, params):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        command = "".join("-" + c.lower() if c.isupper() else c for c in operation)[1:]
        converted = json.loads(json.dumps(params), object_hook=lambda d: {
            k: iso(v) if k.endswith(("Time", "Timestamp", "Date")) and isinstance(v, (int, float))
            else v for k, v in d.items()})
        cmd = [binary, "cloudwatch", command, "--endpoint-url", self.endpoint, "--region",
               "us-east-1", "--output", "json", "--cli-input-json", json.dumps(converted)]
        result = subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                                timeout=60)
        if result.returncode != 0:
            text = result.stderr.strip()
            code = text.split("(", 1)[1].split(")", 1)[0] if "(" in text else "CliError"
            raise ClientError(code, text)
        if not result.stdout.strip():
            return {}
        out = json.loads(result.stdout)
        return json.loads(json.dumps(out), object_hook=lambda d: {
            k: _epoch(v) if isinstance(v, str) and k.endswith(("Timestamp", "Modified")) else
            ([_epoch(x) for x in v] if k == "Timestamps" else v) for k, v in d.items()})

    def _node(self, operation, params):
        out = harness.run_node(NODE_RUNNER, self.endpoint, operation, json.dumps(params),
                               timeout=60)
        if "__error" in out:
            raise ClientError(out["__error"], out["message"])
        return json.loads(json.dumps(out), object_hook=lambda d: {
            k: _epoch(v) if isinstance(v, str) and k.endswith(("Timestamp", "Modified")) else
            ([_epoch(x) for x in v] if k == "Timestamps" else v) for k, v in d.items()})


def _epoch(text):
    import datetime
    if isinstance(text, (int, float)):
        return text
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Receiver:
    """A webhook receiver on a free port: wait() returns the first POST as {path, body}."""

    def __init__(self):
        import http.server
        import queue
        import threading
        self.posts = queue.Queue()
        posts = self.posts

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                posts.put({"path": self.path, "body": json.loads(self.rfile.read(length))})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, timeout):
        return self.posts.get(timeout=timeout)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CloudWatchTest(harness.ServerTestCase):
    def test_recipe_flow(self):
        server = self.start_server()
        cw = CloudWatch(server.endpoint)
        # The recipe's two alarms.
        cw.call("PutMetricAlarm", AlarmName=PROJECT + "-high-error-rate",
                AlarmDescription="High error rate detected in X-Ray traces",
                MetricName="ErrorTraces", Namespace="XRay/Analysis", Statistic="Sum",
                Period=300, Threshold=5.0, ComparisonOperator="GreaterThanThreshold",
                EvaluationPeriods=2)
        cw.call("PutMetricAlarm", AlarmName=PROJECT + "-high-latency",
                AlarmDescription="High latency detected in X-Ray traces",
                MetricName="HighLatencyTraces", Namespace="XRay/Analysis", Statistic="Sum",
                Period=300, Threshold=3.0, ComparisonOperator="GreaterThanThreshold",
                EvaluationPeriods=1)
        out = cw.call("PutDashboard", DashboardName=PROJECT + "-xray-monitoring",
                      DashboardBody=RECIPE_DASHBOARD)
        self.assertEqual(out.get("DashboardValidationMessages", []), [])
        dashboard = cw.call("GetDashboard", DashboardName=PROJECT + "-xray-monitoring")
        self.assertEqual(json.loads(dashboard["DashboardBody"]), json.loads(RECIPE_DASHBOARD))
        self.assertEqual(dashboard["DashboardArn"],
                         "arn:aws:cloudwatch::000000000000:dashboard/%s-xray-monitoring" % PROJECT)
        listed = cw.call("ListDashboards")
        self.assertEqual([e["DashboardName"] for e in listed["DashboardEntries"]],
                         [PROJECT + "-xray-monitoring"])

        alarms = cw.call("DescribeAlarms",
                         AlarmNames=[PROJECT + "-high-error-rate", PROJECT + "-high-latency"])
        by_name = {a["AlarmName"]: a for a in alarms["MetricAlarms"]}
        self.assertEqual(set(by_name), {PROJECT + "-high-error-rate", PROJECT + "-high-latency"})
        high = by_name[PROJECT + "-high-error-rate"]
        self.assertEqual(high["StateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(high["Threshold"], 5.0)
        self.assertEqual(high["EvaluationPeriods"], 2)
        self.assertEqual(high["Statistic"], "Sum")
        self.assertEqual(high["Namespace"], "XRay/Analysis")
        self.assertEqual(high["AlarmArn"], "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"
                         + PROJECT + "-high-error-rate")

        # The analyzer's put_metric_data, then get-metric-statistics.
        now = int(time.time())
        cw.call("PutMetricData", Namespace="XRay/Analysis", MetricData=[
            {"MetricName": "TotalTraces", "Value": 12, "Unit": "Count"},
            {"MetricName": "ErrorTraces", "Value": 3, "Unit": "Count"},
            {"MetricName": "HighLatencyTraces", "Value": 1, "Unit": "Count"},
            {"MetricName": "Latency", "Values": [10, 20, 30], "Counts": [1, 1, 2],
             "Unit": "Milliseconds", "Dimensions": [{"Name": "Service", "Value": "api"}]},
            {"MetricName": "Latency", "StatisticValues": {"SampleCount": 2, "Sum": 100,
             "Minimum": 40, "Maximum": 60}, "Unit": "Milliseconds",
             "Dimensions": [{"Name": "Service", "Value": "api"}], "Timestamp": now},
        ])
        start, end = now - 3600, now + 600
        stats = cw.call("GetMetricStatistics", Namespace="XRay/Analysis",
                        MetricName="ErrorTraces", StartTime=start, EndTime=end, Period=3600,
                        Statistics=["Sum", "Average", "SampleCount"])
        self.assertEqual(stats["Label"], "ErrorTraces")
        self.assertEqual(sum(p["Sum"] for p in stats["Datapoints"]), 3.0)
        self.assertEqual(stats["Datapoints"][0]["Unit"], "Count")
        latency = cw.call("GetMetricStatistics", Namespace="XRay/Analysis", MetricName="Latency",
                          Dimensions=[{"Name": "Service", "Value": "api"}], StartTime=start,
                          EndTime=end, Period=3600, Statistics=["Maximum", "SampleCount"],
                          ExtendedStatistics=["p50"])
        total = {"SampleCount": 0, "Maximum": 0}
        for point in latency["Datapoints"]:
            total["SampleCount"] += point["SampleCount"]
            total["Maximum"] = max(total["Maximum"], point["Maximum"])
        self.assertEqual(total, {"SampleCount": 6.0, "Maximum": 60.0})
        data = cw.call("GetMetricData", StartTime=start, EndTime=end, MetricDataQueries=[
            {"Id": "errors", "MetricStat": {"Metric": {"Namespace": "XRay/Analysis",
             "MetricName": "ErrorTraces"}, "Period": 3600, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "total", "MetricStat": {"Metric": {"Namespace": "XRay/Analysis",
             "MetricName": "TotalTraces"}, "Period": 3600, "Stat": "Sum"}, "ReturnData": False},
            {"Id": "ratio", "Expression": "errors / total * 100", "Label": "ErrorRate"}])
        results = data["MetricDataResults"]
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0]["Label"], "ErrorRate")
        self.assertEqual(sum(results[0]["Values"]), 25.0)
        metrics = cw.call("ListMetrics", Namespace="XRay/Analysis")
        self.assertEqual(sorted({m["MetricName"] for m in metrics["Metrics"]}),
                         ["ErrorTraces", "HighLatencyTraces", "Latency", "TotalTraces"])

        # A webhook action: SetAlarmState runs the ALARM actions (docs/cloudwatch.md).
        hook = Receiver()
        self.addCleanup(hook.close)
        cw.call("PutMetricAlarm", AlarmName=PROJECT + "-high-latency",
                AlarmDescription="High latency detected in X-Ray traces",
                MetricName="HighLatencyTraces", Namespace="XRay/Analysis", Statistic="Sum",
                Period=300, Threshold=3.0, ComparisonOperator="GreaterThanThreshold",
                EvaluationPeriods=1, AlarmActions=[hook.url + "/alarm",
                                                   "arn:aws:sns:us-east-1:000000000000:ops"])
        cw.call("SetAlarmState", AlarmName=PROJECT + "-high-latency", StateValue="ALARM",
                StateReason="testing")
        posted = hook.wait(10)
        self.assertEqual(posted["path"], "/alarm")
        body = posted["body"]
        self.assertEqual(body["AlarmName"], PROJECT + "-high-latency")
        self.assertEqual(body["NewStateValue"], "ALARM")
        self.assertEqual(body["OldStateValue"], "INSUFFICIENT_DATA")
        self.assertEqual(body["NewStateReason"], "testing")
        self.assertEqual(body["Trigger"]["MetricName"], "HighLatencyTraces")
        actions = cw.call("DescribeAlarmHistory", AlarmName=PROJECT + "-high-latency",
                          HistoryItemType="Action")["AlarmHistoryItems"]
        self.assertEqual(len(actions), 2)
        history = cw.call("DescribeAlarmHistory", AlarmName=PROJECT + "-high-latency",
                          HistoryItemType="StateUpdate")
        self.assertEqual(history["AlarmHistoryItems"][0]["HistorySummary"],
                         "Alarm updated from INSUFFICIENT_DATA to ALARM")
        state = cw.call("DescribeAlarms", StateValue="ALARM")
        self.assertEqual([a["AlarmName"] for a in state["MetricAlarms"]], [PROJECT + "-high-latency"])

        # Errors in the client's protocol.
        with self.assertRaises(ClientError) as raised:
            cw.call("GetDashboard", DashboardName="missing")
        self.assertEqual(raised.exception.code, "ResourceNotFound")
        with self.assertRaises(ClientError) as raised:
            cw.call("PutDashboard", DashboardName="bad", DashboardBody='{"nowidgets": 1}')
        self.assertEqual(raised.exception.code, "InvalidParameterInput")
        with self.assertRaises(ClientError) as raised:
            cw.call("PutMetricData", Namespace="A", MetricData=[
                {"MetricName": "m", "Value": 1, "StorageResolution": 5}])
        self.assertEqual(raised.exception.code, "InvalidParameterValue")

        # Durable across kill -9 (every put is synced), then the recipe's clean-up.
        server.kill()
        server.start()
        cw = CloudWatch(server.endpoint)
        self.assertEqual(len(cw.call("DescribeAlarms")["MetricAlarms"]), 2)
        stats = cw.call("GetMetricStatistics", Namespace="XRay/Analysis",
                        MetricName="ErrorTraces", StartTime=start, EndTime=end, Period=3600,
                        Statistics=["Sum"])
        self.assertEqual(sum(p["Sum"] for p in stats["Datapoints"]), 3.0)
        cw.call("DeleteAlarms", AlarmNames=[PROJECT + "-high-error-rate", PROJECT + "-high-latency"])
        cw.call("DeleteDashboards", DashboardNames=[PROJECT + "-xray-monitoring"])
        self.assertEqual(cw.call("DescribeAlarms")["MetricAlarms"], [])
        self.assertEqual(cw.call("ListDashboards")["DashboardEntries"], [])


if __name__ == "__main__":
    if "--client" in sys.argv and sys.argv[sys.argv.index("--client") + 1] == "node":
        i = sys.argv.index("--client")
        del sys.argv[i:i + 2]
        CLIENT = "node"
        if not shutil.which("node") or not os.path.isdir(
                os.path.join(HERE, "node_modules", "@aws-sdk", "client-cloudwatch")):
            print("SKIP: node or @aws-sdk/client-cloudwatch not installed")
            sys.exit(harness.SKIP_EXIT)
    else:
        try:
            CLIENT = harness.pick_client(sys.argv)
        except harness.Skip as reason:
            print("SKIP: %s" % reason)
            sys.exit(harness.SKIP_EXIT)
    harness.main()
