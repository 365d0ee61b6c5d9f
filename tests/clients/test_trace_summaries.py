#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""GetTraceSummaries through the real clients: the recipe's
`aws xray get-trace-summaries --time-range-type TimeStamp ... --filter-expression
'service("order-processor")' --max-items 5`, paged to the end, with both AWS CLIs, boto3
(whichever interpreter runs this file) and @aws-sdk/client-xray (Node).

`--client cli-v1|cli-v2|boto3|node` picks the client (ctest registers each); a missing
client exits 77. Every client must see exactly the stored order-processor traces, each once,
and a syntax error must come back as InvalidRequestException naming the column.
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
ORDER_TRACES = 230  # more than two server pages (100 each)
OTHER_TRACES = 40


def recipe_documents(now, rng):
    """API Gateway stage `prod` -> order-processor traces, and some traces of another service."""
    docs, order_ids, slow_ids = [], set(), set()
    for i in range(ORDER_TRACES):
        start = now - 3000 + i * 10
        trace = harness.new_trace_id(rng, epoch=int(start))
        stage_id, call_id, fn_id = harness.new_id(rng), harness.new_id(rng), harness.new_id(rng)
        response = 2.5 if i % 7 == 0 else 0.2
        status = 500 if i % 11 == 0 else 200
        stage = {"trace_id": trace, "id": stage_id, "name": "order-api/prod",
                 "origin": "AWS::ApiGateway::Stage", "start_time": start,
                 "end_time": start + response,
                 "http": {"request": {"method": "POST", "url": "https://api.example/prod/orders"},
                          "response": {"status": status}},
                 "subsegments": [{"id": call_id, "name": "Lambda", "namespace": "aws",
                                  "start_time": start + 0.001, "end_time": start + response - 0.001}]}
        if status == 500:
            stage["fault"] = True
        function = {"trace_id": trace, "id": fn_id, "name": "order-processor",
                    "origin": "AWS::Lambda::Function", "parent_id": call_id,
                    "start_time": start + 0.002, "end_time": start + response - 0.002,
                    "annotations": {"order_id": "o-%d" % i}}
        docs += [json.dumps(stage), json.dumps(function)]
        order_ids.add(trace)
        if response > 2:
            slow_ids.add(trace)
    for i in range(OTHER_TRACES):
        start = now - 3000 + i * 13
        trace = harness.new_trace_id(rng, epoch=int(start))
        docs.append(json.dumps({"trace_id": trace, "id": harness.new_id(rng), "name": "reporting",
                                "start_time": start, "end_time": start + 0.05}))
    return docs, order_ids, slow_ids


class TraceSummariesTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(args=["--quiet-period", "200ms"])
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        cls.now = time.time()
        rng = random.Random(7)
        docs, cls.order_ids, cls.slow_ids = recipe_documents(cls.now, rng)
        for offset in range(0, len(docs), 200):
            cls.server.put_ok(docs[offset:offset + 200])
        cls.wait_sealed(cls.server, len(cls.order_ids) + OTHER_TRACES)

    @staticmethod
    def wait_sealed(server, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            metrics = server.metrics()
            if harness.metric_sum(metrics, "roentgen_store_open_traces") == 0:
                status, _, body = server.post_json("/TraceSummaries", {
                    "StartTime": 0, "EndTime": 4e9, "TimeRangeType": "Event"})
                if status == 200 and body["TracesProcessedCount"] >= count:
                    return
            time.sleep(0.1)
        raise AssertionError("traces not sealed in time\n" + server.log_tail())

    # -- the clients -------------------------------------------------------------------------
    def cli(self, *args):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        cmd = [binary, "xray", *args, "--endpoint-url", self.server.endpoint,
               "--region", "us-east-1", "--output", "json"]
        return subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                              timeout=120)

    def iso(self, seconds):
        return datetime.datetime.utcfromtimestamp(seconds).strftime("%Y-%m-%dT%H:%M:%S")

    def summaries_with_cli(self, expression):
        """The recipe's command, then --starting-token until the CLI's NextToken is gone."""
        base = ["get-trace-summaries", "--time-range-type", "TimeStamp",
                "--start-time", self.iso(self.now - 3600), "--end-time", self.iso(self.now + 60),
                "--filter-expression", expression]
        out = self.cli(*base, "--max-items", "5")
        self.assertEqual(out.returncode, 0, out.stderr)
        page = json.loads(out.stdout)
        self.assertEqual(len(page["TraceSummaries"]), 5)
        self.assertIn("NextToken", page)
        ids = [s["Id"] for s in page["TraceSummaries"]]
        pages = 1
        while "NextToken" in page:
            out = self.cli(*base, "--max-items", "60", "--starting-token", page["NextToken"])
            self.assertEqual(out.returncode, 0, out.stderr)
            page = json.loads(out.stdout)
            ids += [s["Id"] for s in page["TraceSummaries"]]
            pages += 1
            self.assertLess(pages, 20)
        return ids, page

    def summaries_with_boto3(self, expression, **extra):
        client = harness.boto3_client("xray", self.server.endpoint)
        paginator = client.get_paginator("get_trace_summaries")
        ids = []
        for page in paginator.paginate(
                StartTime=datetime.datetime.utcfromtimestamp(self.now - 3600),
                EndTime=datetime.datetime.utcfromtimestamp(self.now + 60),
                TimeRangeType="TimeStamp", FilterExpression=expression, **extra):
            ids += [s["Id"] for s in page["TraceSummaries"]]
        return ids, client

    def summaries_with_node(self, expression):
        script = r"""
const {XRayClient, paginateGetTraceSummaries} = require('@aws-sdk/client-xray');
const [endpoint, start, end, expression] = process.argv.slice(1);
(async () => {
  const client = new XRayClient({endpoint, region: 'us-east-1', maxAttempts: 1,
      credentials: {accessKeyId: 'AKIDEXAMPLE',
                    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}});
  const ids = [];
  const pages = paginateGetTraceSummaries({client}, {
      StartTime: new Date(Number(start) * 1000), EndTime: new Date(Number(end) * 1000),
      TimeRangeType: 'Event', FilterExpression: expression});
  for await (const page of pages) for (const s of page.TraceSummaries) ids.push(s.Id);
  let error = null;
  try {
    await client.send(new (require('@aws-sdk/client-xray').GetTraceSummariesCommand)({
        StartTime: new Date(Number(start) * 1000), EndTime: new Date(Number(end) * 1000),
        FilterExpression: 'responsetime >'}));
  } catch (e) { error = {name: e.name, message: e.message, status: e.$metadata.httpStatusCode}; }
  console.log(JSON.stringify({ids, error}));
})().catch((e) => { console.error(e); process.exit(1); });
"""
        return harness.run_node(script, self.server.endpoint, str(self.now - 3600),
                                str(self.now + 60), expression)

    # -- tests -------------------------------------------------------------------------------
    def test_recipe_query_pages_to_the_end(self):
        expression = 'service("order-processor")'
        if CLIENT.startswith("cli"):
            ids, _ = self.summaries_with_cli(expression)
        elif CLIENT == "boto3":
            ids, _ = self.summaries_with_boto3(expression)
        else:
            ids = self.summaries_with_node(expression)["ids"]
        self.assertEqual(len(ids), len(set(ids)), "a trace came back twice")
        self.assertEqual(set(ids), self.order_ids)

    def test_filter_narrows_and_orders_newest_first(self):
        expression = 'service("order-processor") AND responsetime > 2'
        if CLIENT.startswith("cli"):
            out = self.cli("get-trace-summaries", "--start-time", str(int(self.now - 3600)),
                           "--end-time", str(int(self.now + 60)), "--filter-expression",
                           expression)
            self.assertEqual(out.returncode, 0, out.stderr)
            summaries = json.loads(out.stdout)["TraceSummaries"]
        elif CLIENT == "boto3":
            _, client = self.summaries_with_boto3(expression)
            summaries = client.get_trace_summaries(
                StartTime=self.now - 3600, EndTime=self.now + 60,
                FilterExpression=expression)["TraceSummaries"]
        else:
            self.assertEqual(set(self.summaries_with_node(expression)["ids"]), self.slow_ids)
            return
        self.assertEqual({s["Id"] for s in summaries}, self.slow_ids)
        # CLI v2.9's model predates TraceSummary.StartTime and drops it; order by the id's epoch
        # there (TraceId ranges sort by start time, and each trace starts at its id's epoch).
        starts = [s.get("StartTime", int(s["Id"].split("-")[1], 16)) for s in summaries]
        self.assertEqual(starts, sorted(starts, reverse=True))
        for s in summaries:
            self.assertGreater(s["ResponseTime"], 2)
            self.assertEqual(s["EntryPoint"]["Name"], "order-api/prod")
            self.assertEqual(s["EntryPoint"]["Type"], "AWS::ApiGateway::Stage")
            names = {service["Name"] for service in s["ServiceIds"]}
            self.assertIn("order-processor", names)
            self.assertEqual(s["Http"]["HttpMethod"], "POST")
            self.assertIn("order_id", s["Annotations"])

    def test_syntax_error_names_the_column(self):
        if CLIENT.startswith("cli"):
            out = self.cli("get-trace-summaries", "--start-time", str(int(self.now - 3600)),
                           "--end-time", str(int(self.now + 60)), "--filter-expression",
                           'service("order-processor") AND responsetime >')
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("InvalidRequestException", out.stderr)
            self.assertIn("column 46", out.stderr)
        elif CLIENT == "boto3":
            import botocore.exceptions
            _, client = self.summaries_with_boto3("")
            with self.assertRaises(botocore.exceptions.ClientError) as caught:
                client.get_trace_summaries(StartTime=self.now - 3600, EndTime=self.now + 60,
                                           FilterExpression="annotation.x = ")
            error = caught.exception.response["Error"]
            self.assertEqual(error["Code"], "InvalidRequestException")
            self.assertIn("column", error["Message"])
            self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 400)
        else:
            error = self.summaries_with_node('service("order-processor")')["error"]
            self.assertEqual(error["name"], "InvalidRequestException")
            self.assertEqual(error["status"], 400)
            self.assertIn("column 15", error["message"])

    def test_paging_is_pinned_while_traces_are_resealed(self):
        if CLIENT != "boto3":
            self.skipTest("checked once, with boto3")
        _, client = self.summaries_with_boto3("")
        args = dict(StartTime=self.now - 3600, EndTime=self.now + 60, TimeRangeType="TraceId",
                    FilterExpression='service("order-processor")')
        first = client.get_trace_summaries(**args)
        ids = [s["Id"] for s in first["TraceSummaries"]]
        self.assertEqual(first["TracesProcessedCount"], ORDER_TRACES + OTHER_TRACES)
        # Late documents reseal traces that later pages hold (and some of this page).
        later = sorted(self.order_ids - set(ids))[:20] + ids[:5]
        late_docs = [json.dumps({"trace_id": t, "id": harness.new_id(), "name": "notification",
                                 "start_time": self.now - 10, "end_time": self.now - 9})
                     for t in later]
        self.server.put_ok(late_docs)
        time.sleep(1.0)
        token = first["NextToken"]
        revisions = {}
        while token:
            page = client.get_trace_summaries(NextToken=token, **args)
            for s in page["TraceSummaries"]:
                ids.append(s["Id"])
                revisions[s["Id"]] = s["Revision"]
            token = page.get("NextToken")
        self.assertEqual(len(ids), len(set(ids)), "a trace came back twice")
        self.assertEqual(set(ids), self.order_ids)
        # Pages after the reseal show the new revision, never the old one.
        for trace in later[:20]:
            self.assertEqual(revisions[trace], 2, trace)


if __name__ == "__main__":
    CLIENT = harness.pick_client(sys.argv)
    harness.main()
