#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The service map through the real clients: `aws xray get-service-graph`, get-trace-graph and
get-time-series-service-statistics with both AWS CLIs, boto3 (whichever interpreter runs this
file) and @aws-sdk/client-xray (Node).

`--client cli-v1|cli-v2|boto3|node` picks the client (ctest registers each); a missing client
exits 77. The traces are the recipe's: API Gateway stage `order-api/prod` -> Lambda function
`order-processor` -> DynamoDB table `orders`, and a remote HTTP call that fails every 5th
trace. Every client must parse the answers and see the counts that were sent. Once (boto3):
BatchGetTraces returns the inferred segments, a group's graph and ContainsOldGroupVersions
after the group's filter changes, and a restarted server answers the same graph.
"""

import datetime
import json
import os
import random
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLIENT = None
TRACES = 30
FAILING = {i for i in range(TRACES) if i % 5 == 0}  # the payments call answers 500


def recipe_documents(now, rng):
    docs, ids = [], []
    for i in range(TRACES):
        start = now - 3000 + i * 60
        trace = harness.new_trace_id(rng, epoch=int(start))
        stage_id, call_id, fn_id = harness.new_id(rng), harness.new_id(rng), harness.new_id(rng)
        stage = {"trace_id": trace, "id": stage_id, "name": "order-api/prod",
                 "origin": "AWS::ApiGateway::Stage", "start_time": start, "end_time": start + 0.3,
                 "http": {"request": {"method": "POST", "url": "https://api.example/prod/orders"},
                          "response": {"status": 200}},
                 "subsegments": [{"id": call_id, "name": "Lambda", "namespace": "aws",
                                  "start_time": start + 0.01, "end_time": start + 0.29}]}
        pay = {"id": harness.new_id(rng), "name": "payments.example", "namespace": "remote",
               "start_time": start + 0.15, "end_time": start + 0.2,
               "http": {"request": {"method": "POST", "url": "https://payments.example/charge"},
                        "response": {"status": 500 if i in FAILING else 200}}}
        if i in FAILING:
            pay["fault"] = True
        function = {"trace_id": trace, "id": fn_id, "name": "order-processor",
                    "origin": "AWS::Lambda::Function", "parent_id": call_id,
                    "start_time": start + 0.02, "end_time": start + 0.28,
                    "subsegments": [
                        {"id": harness.new_id(rng), "name": "DynamoDB", "namespace": "aws",
                         "start_time": start + 0.03, "end_time": start + 0.1,
                         "aws": {"operation": "PutItem", "table_name": "orders"}},
                        pay]}
        docs += [json.dumps(stage), json.dumps(function)]
        ids.append(trace)
    return docs, ids


class ServiceGraphTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(args=["--quiet-period", "200ms"])
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        cls.now = time.time()
        docs, cls.trace_ids = recipe_documents(cls.now, random.Random(11))
        cls.server.put_ok(docs)
        deadline = time.time() + 20
        while time.time() < deadline:
            status, _, body = cls.server.post_json("/ServiceGraph", {
                "StartTime": cls.now - 3600, "EndTime": cls.now + 60})
            if status == 200 and any(
                    s["Name"] == "order-api/prod" and s.get("Type") == "client" and
                    s["Edges"] and s["Edges"][0]["SummaryStatistics"]["TotalCount"] == TRACES
                    for s in body["Services"]):
                return
            time.sleep(0.1)
        raise AssertionError("traces not aggregated in time\n" + cls.server.log_tail())

    # -- the clients -------------------------------------------------------------------------
    def cli(self, *args):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        cmd = [binary, "xray", *args, "--endpoint-url", self.server.endpoint,
               "--region", "us-east-1", "--output", "json"]
        out = subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                             timeout=120)
        return out

    def cli_ok(self, *args):
        out = self.cli(*args)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def boto3_client(self):
        return harness.boto3_client("xray", self.server.endpoint)

    def node(self, operation, params):
        """Runs one command (GetServiceGraph paginated) and prints {result, error} as JSON;
        Date fields are given as epoch seconds."""
        script = r"""
const xray = require('@aws-sdk/client-xray');
const [endpoint, operation, paramsText] = process.argv.slice(1);
const params = JSON.parse(paramsText);
for (const key of ['StartTime', 'EndTime']) {
  if (key in params) params[key] = new Date(params[key] * 1000);
}
(async () => {
  const client = new xray.XRayClient({endpoint, region: 'us-east-1', maxAttempts: 1,
      credentials: {accessKeyId: 'AKIDEXAMPLE',
                    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}});
  try {
    if (operation === 'GetServiceGraph') {
      const services = [];
      let last = null;
      for await (const page of xray.paginateGetServiceGraph({client}, params)) {
        services.push(...page.Services);
        last = page;
      }
      last.Services = services;
      console.log(JSON.stringify({result: last}));
    } else {
      const result = await client.send(new xray[operation + 'Command'](params));
      console.log(JSON.stringify({result}));
    }
  } catch (e) {
    console.log(JSON.stringify({error: {name: e.name, message: e.message,
                                        status: e.$metadata && e.$metadata.httpStatusCode}}));
  }
})();
"""
        return harness.run_node(script, self.server.endpoint, operation, json.dumps(params))

    def iso(self, seconds):
        return datetime.datetime.utcfromtimestamp(seconds).strftime("%Y-%m-%dT%H:%M:%S")

    def service_graph(self):
        start, end = self.now - 3600, self.now + 60
        if CLIENT.startswith("cli"):
            return self.cli_ok("get-service-graph", "--start-time", self.iso(start),
                               "--end-time", self.iso(end))
        if CLIENT == "boto3":
            client = self.boto3_client()
            services, last = [], None
            for page in client.get_paginator("get_service_graph").paginate(
                    StartTime=start, EndTime=end):
                services += page["Services"]
                last = page
            last["Services"] = services
            return last
        answer = self.node("GetServiceGraph", {"StartTime": start, "EndTime": end})
        self.assertNotIn("error", answer)
        return answer["result"]

    def trace_graph(self, ids):
        if CLIENT.startswith("cli"):
            return self.cli_ok("get-trace-graph", "--trace-ids", *ids)
        if CLIENT == "boto3":
            return self.boto3_client().get_trace_graph(TraceIds=ids)
        answer = self.node("GetTraceGraph", {"TraceIds": ids})
        self.assertNotIn("error", answer)
        return answer["result"]

    def time_series(self, selector, period=60, forecast=False):
        start, end = self.now - 3600, self.now + 60
        if CLIENT.startswith("cli"):
            args = ["get-time-series-service-statistics", "--start-time", self.iso(start),
                    "--end-time", self.iso(end), "--period", str(period)]
            if selector:
                args += ["--entity-selector-expression", selector]
            if forecast:
                args.append("--forecast-statistics")
            return self.cli(*args)
        params = {"StartTime": start, "EndTime": end, "Period": period}
        if selector:
            params["EntitySelectorExpression"] = selector
        if forecast:
            params["ForecastStatistics"] = True
        if CLIENT == "boto3":
            import botocore.exceptions
            client = self.boto3_client()
            try:
                return client.get_time_series_service_statistics(**params)
            except botocore.exceptions.ClientError as error:
                return error
        params["StartTime"], params["EndTime"] = start, end
        return self.node("GetTimeSeriesServiceStatistics", params)

    def series_points(self, answer):
        if CLIENT.startswith("cli"):
            self.assertEqual(answer.returncode, 0, answer.stderr)
            return json.loads(answer.stdout)["TimeSeriesServiceStatistics"]
        if CLIENT == "node":
            self.assertNotIn("error", answer)
            return answer["result"]["TimeSeriesServiceStatistics"]
        self.assertIsInstance(answer, dict)
        return answer["TimeSeriesServiceStatistics"]

    # -- tests -------------------------------------------------------------------------------
    def check_recipe_graph(self, services, traces):
        by_key = {(s["Name"], s.get("Type")): s for s in services}
        refs = {s["ReferenceId"]: (s["Name"], s.get("Type")) for s in services}
        self.assertEqual(len(refs), len(services), "ReferenceIds must be unique")
        self.assertEqual(set(by_key), {
            ("order-api/prod", "client"), ("order-api/prod", "AWS::ApiGateway::Stage"),
            ("order-processor", "AWS::Lambda::Function"), ("orders", "AWS::DynamoDB::Table"),
            ("payments.example", "remote")})
        stage = by_key[("order-api/prod", "AWS::ApiGateway::Stage")]
        self.assertTrue(stage.get("Root"))
        self.assertEqual(stage["State"], "active")
        self.assertEqual(stage["SummaryStatistics"]["TotalCount"], traces)
        self.assertEqual(stage["SummaryStatistics"]["OkCount"], traces)
        client = by_key[("order-api/prod", "client")]
        self.assertNotIn("SummaryStatistics", client)
        self.assertFalse(client.get("Root", False))
        self.assertEqual([refs[e["ReferenceId"]] for e in client["Edges"]],
                         [("order-api/prod", "AWS::ApiGateway::Stage")])
        self.assertEqual(client["Edges"][0]["SummaryStatistics"]["TotalCount"], traces)
        self.assertEqual([refs[e["ReferenceId"]] for e in stage["Edges"]],
                         [("order-processor", "AWS::Lambda::Function")])
        function = by_key[("order-processor", "AWS::Lambda::Function")]
        edges = {refs[e["ReferenceId"]]: e for e in function["Edges"]}
        self.assertEqual(set(edges), {("orders", "AWS::DynamoDB::Table"),
                                      ("payments.example", "remote")})
        pay = edges[("payments.example", "remote")]["SummaryStatistics"]
        failing = len(traces_failing(traces))
        self.assertEqual(pay["FaultStatistics"]["TotalCount"], failing)
        self.assertEqual(pay["OkCount"], traces - failing)
        table_edge = edges[("orders", "AWS::DynamoDB::Table")]
        self.assertEqual(table_edge["ResponseTimeHistogram"], [{"Value": 0.07, "Count": traces}])
        table = by_key[("orders", "AWS::DynamoDB::Table")]
        self.assertEqual(table["State"], "unknown")

    def test_service_graph(self):
        answer = self.service_graph()
        self.check_recipe_graph(answer["Services"], TRACES)
        self.assertFalse(answer["ContainsOldGroupVersions"])

    def test_trace_graph(self):
        ids = [self.trace_ids[0], self.trace_ids[1]]  # trace 0 fails its payments call
        answer = self.trace_graph(ids)
        self.check_recipe_graph(answer["Services"], 2)

    def test_time_series(self):
        points = self.series_points(self.time_series('service("order-processor")'))
        self.assertEqual(sum(p["ServiceSummaryStatistics"]["TotalCount"] for p in points), TRACES)
        for p in points:
            self.assertNotIn("EdgeSummaryStatistics", p)
        # No selector: the client -> root edges, i.e. one per trace.
        points = self.series_points(self.time_series("", period=300))
        self.assertEqual(sum(p["EdgeSummaryStatistics"]["TotalCount"] for p in points), TRACES)
        # The forecast band of the remote node (history: none, so p = 0.001 at first).
        points = self.series_points(self.time_series(
            'id(name: "payments.example", type: "remote")', forecast=True))
        self.assertTrue(points)
        for p in points:
            band = p["ServiceForecastStatistics"]
            self.assertGreaterEqual(band["FaultCountHigh"], 2)
            self.assertEqual(band["FaultCountLow"], 0)

    def test_bad_selector_is_invalid_request(self):
        answer = self.time_series('edge("a")')
        if CLIENT.startswith("cli"):
            self.assertNotEqual(answer.returncode, 0)
            self.assertIn("InvalidRequestException", answer.stderr)
            self.assertIn("column", answer.stderr)
        elif CLIENT == "boto3":
            error = answer.response["Error"]
            self.assertEqual(error["Code"], "InvalidRequestException")
            self.assertIn("column", error["Message"])
        else:
            self.assertEqual(answer["error"]["name"], "InvalidRequestException")
            self.assertEqual(answer["error"]["status"], 400)

    def test_batch_get_traces_returns_inferred_segments(self):
        if CLIENT != "boto3":
            self.skipTest("checked once, with boto3")
        client = self.boto3_client()
        trace = client.batch_get_traces(TraceIds=[self.trace_ids[0]])["Traces"][0]
        docs = [json.loads(s["Document"]) for s in trace["Segments"]]
        by_id = {s["Id"]: json.loads(s["Document"]) for s in trace["Segments"]}
        self.assertEqual(len(by_id), len(docs))
        function = next(d for d in docs if d["name"] == "order-processor")
        subsegments = {s["name"]: s for s in function["subsegments"]}
        inferred = [d for d in docs if d.get("inferred")]
        # The stage's Lambda subsegment has its callee's segment: nothing inferred for it.
        self.assertEqual(sorted(d["name"] for d in inferred), ["DynamoDB", "payments.example"])
        table = next(d for d in inferred if d["name"] == "DynamoDB")
        self.assertEqual(table["origin"], "AWS::DynamoDB::Table")
        self.assertEqual(table["parent_id"], subsegments["DynamoDB"]["id"])
        self.assertEqual(table["aws"]["table_name"], "orders")
        self.assertEqual(table["start_time"], subsegments["DynamoDB"]["start_time"])
        self.assertEqual(table["trace_id"], self.trace_ids[0])
        self.assertRegex(table["id"], "^[0-9a-f]{16}$")
        remote = next(d for d in inferred if d["name"] == "payments.example")
        self.assertNotIn("origin", remote)
        self.assertTrue(remote["fault"])
        self.assertEqual(remote["http"]["response"]["status"], 500)
        # Stable across calls.
        again = client.batch_get_traces(TraceIds=[self.trace_ids[0]])["Traces"][0]
        self.assertEqual({s["Id"] for s in again["Segments"]}, set(by_id))

    def test_group_graph_and_old_versions(self):
        if CLIENT != "boto3":
            self.skipTest("checked once, with boto3")
        client = self.boto3_client()
        group = client.create_group(GroupName="checkout",
                                    FilterExpression='service("checkout")')["Group"]
        # Outside the window the other tests read.
        start = self.now - 5000
        rng = random.Random(5)
        docs = []
        for i in range(6):
            name = "checkout" if i < 4 else "browse"
            docs.append(json.dumps({
                "trace_id": harness.new_trace_id(rng, epoch=int(start)), "id": harness.new_id(rng),
                "name": name, "start_time": start + i, "end_time": start + i + 0.1}))
        self.server.put_ok(docs)
        window = dict(StartTime=start - 60, EndTime=start + 120)
        deadline = time.time() + 20
        while time.time() < deadline:
            services = client.get_service_graph(**window)["Services"]
            if sum(s["SummaryStatistics"]["TotalCount"] for s in services
                   if s.get("Type") != "client") == 6:
                break
            time.sleep(0.1)
        answer = client.get_service_graph(GroupName="checkout", **window)
        self.assertEqual({(s["Name"], s.get("Type")) for s in answer["Services"]},
                         {("checkout", None), ("checkout", "client")})
        checkout = next(s for s in answer["Services"] if s.get("Type") is None)
        self.assertEqual(checkout["SummaryStatistics"]["TotalCount"], 4)
        self.assertFalse(answer["ContainsOldGroupVersions"])
        by_arn = client.get_service_graph(GroupARN=group["GroupARN"], **window)
        self.assertEqual(len(by_arn["Services"]), 2)
        series = client.get_time_series_service_statistics(
            GroupName="checkout", Period=60, StartTime=start - 60, EndTime=start + 120,
            EntitySelectorExpression='service("checkout")')
        self.assertEqual(sum(p["ServiceSummaryStatistics"]["TotalCount"]
                             for p in series["TimeSeriesServiceStatistics"]), 4)
        # A new filter version: the window holds traces matched under the old one.
        client.update_group(GroupName="checkout",
                            FilterExpression='service("checkout") OR service("browse")')
        answer = client.get_service_graph(GroupName="checkout", **window)
        self.assertTrue(answer["ContainsOldGroupVersions"])
        client.delete_group(GroupName="checkout")

    def test_restart_answers_the_same(self):
        if CLIENT != "boto3":
            self.skipTest("checked once, with boto3")
        window = {"StartTime": self.now - 3600, "EndTime": self.now + 60}
        status, _, before = self.server.post_json("/ServiceGraph", window)
        self.assertEqual(status, 200)
        # A second server over the same data (after this one stops) rebuilds the aggregates.
        self.server.stop()
        try:
            self.server.start()
            status, _, after = self.server.post_json("/ServiceGraph", window)
            self.assertEqual(status, 200)

            def keyed(services):
                refs = {s["ReferenceId"]: (s["Name"], s.get("Type")) for s in services}
                out = {}
                for s in services:
                    s = dict(s)
                    s["Edges"] = sorted((refs[e["ReferenceId"]], json.dumps(
                        {k: v for k, v in e.items() if k != "ReferenceId"}, sort_keys=True))
                        for e in s["Edges"])
                    s.pop("ReferenceId")
                    out[(s["Name"], s.get("Type"))] = s
                return out
            self.assertEqual(keyed(after["Services"]), keyed(before["Services"]))
            self.check_recipe_graph(after["Services"], TRACES)
        finally:
            if not self.server.running():
                self.server.start()


def traces_failing(count):
    return [i for i in range(count) if i in FAILING]


if __name__ == "__main__":
    CLIENT = harness.pick_client(sys.argv)
    harness.main()
