#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""X-Ray Insights through the real clients: get-insight-summaries, get-insight,
get-insight-events and get-insight-impact-graph with both AWS CLIs, boto3 (whichever
interpreter runs this file) and @aws-sdk/client-xray (Node).

`--client cli-v1|cli-v2|boto3|node` picks the client (ctest registers each); a missing client
exits 77. The server runs the detector every second (--insights-evaluate-interval 1s). The test
loads 98 minutes of the demo's traffic through PutTraceSegments with past timestamps (20 orders
a minute: xray-monitoring-api/prod -> order-processor -> inventory-manager and
notification-service): 0 % faults, then 12 minutes in which 30 % of the orders fault in
inventory-manager (the fault root cause), then 0 % again. The Default group has insights and
notifications on; group `quiet` (every trace) has insights off. Expected (docs/insights.md): one
CLOSED FAULT insight on Default naming inventory-manager, starting at the first faulting minute
and ending after the last, with 240 client requests of which 72 faulted; none on `quiet`; the
webhook receives the insight's events, ACTIVE first and CLOSED last.
"""

import datetime
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLIENT = None
PER_MINUTE = 20
MINUTES = 98
FAULT_FROM, FAULT_MINUTES = 60, 12  # minutes (offsets) in which 30 % fault
FAULTING = {0, 3, 6}  # of every 10 orders

GATEWAY = ("xray-monitoring-api/prod", "AWS::ApiGateway::Stage")
PROCESSOR = ("order-processor", "AWS::Lambda::Function")
INVENTORY = ("inventory-manager", "AWS::Lambda::Function")
NOTIFICATION = ("notification-service", "AWS::Lambda::Function")


def order_documents(start, fault, rng):
    trace = harness.new_trace_id(rng, epoch=int(start))
    ids = {name: harness.new_id(rng) for name in ("gw", "gw_call", "op", "inv_call", "notif_call",
                                                  "inv", "notif")}
    inv_end = start + 0.15
    notif_end = inv_end + 0.03
    op_end = notif_end + 0.01
    end = op_end + 0.01

    def status(code):
        return {"request": {"method": "POST", "url": "https://example/invoke"},
                "response": {"status": code}}
    gateway = {"trace_id": trace, "id": ids["gw"], "name": GATEWAY[0], "origin": GATEWAY[1],
               "start_time": start, "end_time": end, "http": status(502 if fault else 200),
               "subsegments": [{"id": ids["gw_call"], "name": PROCESSOR[0],
                                "start_time": start + 0.005, "end_time": op_end + 0.005,
                                "http": status(502 if fault else 200)}]}
    processor = {"trace_id": trace, "id": ids["op"], "name": PROCESSOR[0],
                 "origin": PROCESSOR[1], "parent_id": ids["gw_call"],
                 "start_time": start + 0.01, "end_time": op_end,
                 "subsegments": [
                     {"id": ids["inv_call"], "name": INVENTORY[0], "start_time": start + 0.015,
                      "end_time": inv_end + 0.005, "http": status(500 if fault else 200)},
                     {"id": ids["notif_call"], "name": NOTIFICATION[0], "start_time": inv_end,
                      "end_time": notif_end + 0.005, "http": status(200)}]}
    inventory = {"trace_id": trace, "id": ids["inv"], "name": INVENTORY[0],
                 "origin": INVENTORY[1], "parent_id": ids["inv_call"],
                 "start_time": start + 0.02, "end_time": inv_end}
    if fault:
        for doc in (gateway, processor):
            doc["fault"] = True
        gateway["subsegments"][0]["fault"] = True
        processor["subsegments"][0]["fault"] = True
        inventory["fault"] = True
        inventory["cause"] = {"exceptions": [{"id": harness.new_id(rng), "type": "InjectedFault",
                                              "message": "injected by the test"}]}
    notification = {"trace_id": trace, "id": ids["notif"], "name": NOTIFICATION[0],
                    "origin": NOTIFICATION[1], "parent_id": ids["notif_call"],
                    "start_time": inv_end + 0.002, "end_time": notif_end}
    return [json.dumps(d) for d in (gateway, processor, inventory, notification)]


class Hooks(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        Hooks.bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def epoch(value):
    """A timestamp as any client prints it (epoch number, ISO string, datetime) -> seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    text = value.replace("Z", "+00:00")
    return datetime.datetime.fromisoformat(text).timestamp()


class InsightsTest(harness.ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
        threading.Thread(target=cls.hooks.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.hooks.server_close)
        cls.addClassCleanup(cls.hooks.shutdown)
        cls.server = harness.Server(args=[
            "--quiet-period", "200ms", "--insights-evaluate-interval", "1s",
            "--insights-webhook", "http://127.0.0.1:%d/insights" % cls.hooks.server_port])
        cls.addClassCleanup(cls.server.cleanup)
        cls.server.start()
        status, _, body = cls.server.post_json("/UpdateGroup", {
            "GroupName": "Default",
            "InsightsConfiguration": {"InsightsEnabled": True, "NotificationsEnabled": True}})
        assert status == 200, body
        status, _, body = cls.server.post_json("/CreateGroup", {
            "GroupName": "quiet", "FilterExpression": "service(\"order-processor\")"})
        assert status == 200, body
        now = time.time()
        cls.first_minute = int(now // 60) - 2 - MINUTES
        rng = random.Random(7)
        docs = []
        for offset in range(MINUTES):
            faulting = FAULT_FROM <= offset < FAULT_FROM + FAULT_MINUTES
            for i in range(PER_MINUTE):
                start = (cls.first_minute + offset) * 60 + i * 2.5 + 0.5
                docs += order_documents(start, faulting and i % 10 in FAULTING, rng)
        for at in range(0, len(docs), 400):
            cls.server.put_ok(docs[at:at + 400])
        cls.fault_start = (cls.first_minute + FAULT_FROM) * 60
        cls.fault_end = cls.fault_start + FAULT_MINUTES * 60
        deadline = time.time() + 60
        cls.insight = None
        while time.time() < deadline:
            status, _, body = cls.server.post_json("/InsightSummaries", {
                "GroupName": "Default", "StartTime": now - 3 * 3600, "EndTime": now + 60})
            if status == 200 and any(s["State"] == "CLOSED" for s in body["InsightSummaries"]):
                cls.raw_summaries = body["InsightSummaries"]
                return
            time.sleep(0.5)
        raise AssertionError("no closed insight in time: %s\n%s" % (body, cls.server.log_tail()))

    # -- the clients -------------------------------------------------------------------------
    def cli(self, *args):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        cmd = [binary, "xray", *args, "--endpoint-url", self.server.endpoint,
               "--region", "us-east-1", "--output", "json"]
        return subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                              timeout=120)

    def node(self, operation, params):
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
    const result = await client.send(new xray[operation + 'Command'](params));
    console.log(JSON.stringify({result}));
  } catch (e) {
    console.log(JSON.stringify({error: {name: e.name, message: e.message,
                                        status: e.$metadata && e.$metadata.httpStatusCode}}));
  }
})();
"""
        return harness.run_node(script, self.server.endpoint, operation, json.dumps(params))

    def call(self, operation, params):
        """Runs `operation` with `params` (epoch seconds for times) through the client under
        test; returns (result dict, None) or (None, error type)."""
        if CLIENT.startswith("cli"):
            args = []
            for key, value in params.items():
                flag = "--" + "".join("-" + c.lower() if c.isupper() else c for c in key)[1:]
                flag = flag.replace("-i-d", "-id")
                args.append(flag)
                args += [str(v) for v in value] if isinstance(value, list) else [str(value)]
            command = "".join("-" + c.lower() if c.isupper() else c for c in operation)[1:]
            out = self.cli(command, *args)
            if out.returncode != 0:
                return None, out.stderr
            return json.loads(out.stdout), None
        if CLIENT == "boto3":
            client = harness.boto3_client("xray", self.server.endpoint)
            try:
                return harness.boto3_call(client, operation, params), None
            except harness.ClientError as error:
                return None, error.code
        answer = self.node(operation, params)
        if "error" in answer:
            return None, answer["error"]["name"]
        return answer["result"], None

    def ok(self, operation, params):
        result, error = self.call(operation, params)
        self.assertIsNone(error, "%s failed: %s" % (operation, error))
        return result

    def closed_insight(self):
        now = time.time()
        result = self.ok("GetInsightSummaries", {
            "GroupName": "Default", "States": ["CLOSED"], "StartTime": int(now - 3 * 3600),
            "EndTime": int(now + 60)})
        summaries = result["InsightSummaries"]
        self.assertEqual(len(summaries), 1, summaries)
        return summaries[0]

    # -- tests -------------------------------------------------------------------------------
    def check_insight(self, insight):
        self.assertEqual(insight["RootCauseServiceId"]["Name"], INVENTORY[0])
        self.assertEqual(insight["RootCauseServiceId"]["Type"], INVENTORY[1])
        self.assertEqual(insight["RootCauseServiceId"]["Names"], [INVENTORY[0]])
        self.assertEqual(insight["Categories"], ["FAULT"])
        self.assertEqual(insight["State"], "CLOSED")
        self.assertEqual(insight["GroupName"], "Default")
        self.assertTrue(insight["GroupARN"].endswith(":group/Default"), insight["GroupARN"])
        self.assertEqual(epoch(insight["StartTime"]), self.fault_start)
        self.assertEqual(epoch(insight["EndTime"]), self.fault_end)
        self.assertIn("inventory-manager", insight["Summary"])
        client = insight["ClientRequestImpactStatistics"]
        self.assertEqual(client["TotalCount"], PER_MINUTE * FAULT_MINUTES)
        self.assertEqual(client["FaultCount"], PER_MINUTE * FAULT_MINUTES * 3 // 10)
        self.assertEqual(client["OkCount"], client["TotalCount"] - client["FaultCount"])
        root = insight["RootCauseServiceRequestImpactStatistics"]
        self.assertEqual(root["FaultCount"], PER_MINUTE * FAULT_MINUTES * 3 // 10)
        self.assertEqual(root["TotalCount"], PER_MINUTE * FAULT_MINUTES)
        top = [s["ServiceId"]["Name"] for s in insight["TopAnomalousServices"]]
        self.assertEqual(top[0], INVENTORY[0])
        self.assertIn(PROCESSOR[0], top)
        self.assertIn(GATEWAY[0], top)
        self.assertNotIn(NOTIFICATION[0], top)

    def test_summaries_insight_events_and_impact_graph(self):
        summary = self.closed_insight()
        self.check_insight(summary)
        self.assertGreaterEqual(epoch(summary["LastUpdateTime"]), self.fault_end)
        insight_id = summary["InsightId"]
        self.assertRegex(insight_id, r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                     r"[0-9a-f]{12}$")
        # Nothing ACTIVE; nothing on the group without insights.
        now = time.time()
        active = self.ok("GetInsightSummaries", {
            "GroupName": "Default", "States": ["ACTIVE"], "StartTime": int(now - 3 * 3600),
            "EndTime": int(now + 60)})
        self.assertEqual(active["InsightSummaries"], [])
        quiet = self.ok("GetInsightSummaries", {
            "GroupName": "quiet", "StartTime": int(now - 3 * 3600), "EndTime": int(now + 60)})
        self.assertEqual(quiet["InsightSummaries"], [])

        insight = self.ok("GetInsight", {"InsightId": insight_id})["Insight"]
        self.assertEqual(insight["InsightId"], insight_id)
        self.check_insight(insight)

        events = self.ok("GetInsightEvents", {"InsightId": insight_id})["InsightEvents"]
        self.assertGreaterEqual(len(events), 2)
        self.assertTrue(events[0]["Summary"].startswith("Opened"), events[0]["Summary"])
        self.assertTrue(events[-1]["Summary"].startswith("Closed"), events[-1]["Summary"])
        times = [epoch(e["EventTime"]) for e in events]
        self.assertEqual(times, sorted(times))
        self.assertEqual(times[0], self.fault_start + 3 * 60)  # three anomalous minutes
        self.assertEqual(times[-1], self.fault_end + 5 * 60)  # five normal minutes
        self.assertEqual(events[-1]["ClientRequestImpactStatistics"],
                         insight["ClientRequestImpactStatistics"])
        first = self.ok("GetInsightEvents", {"InsightId": insight_id, "MaxResults": 1})
        self.assertEqual(len(first["InsightEvents"]), 1)
        self.assertTrue(first["NextToken"])

        graph = self.ok("GetInsightImpactGraph", {
            "InsightId": insight_id, "StartTime": self.fault_start, "EndTime": self.fault_end})
        self.assertEqual(graph["InsightId"], insight_id)
        self.assertEqual(epoch(graph["StartTime"]), self.fault_start)
        self.assertEqual(epoch(graph["EndTime"]), self.fault_end)
        self.assertLessEqual(epoch(graph["ServiceGraphStartTime"]), self.fault_start)
        services = graph["Services"]
        names = {(s["Name"], s.get("Type")) for s in services}
        self.assertEqual(names, {GATEWAY, PROCESSOR, INVENTORY, NOTIFICATION,
                                 (GATEWAY[0], "client")})
        by_ref = {s["ReferenceId"]: (s["Name"], s["Type"]) for s in services}
        edges = {(s["Name"], by_ref[e["ReferenceId"]][0]) for s in services for e in s["Edges"]}
        self.assertEqual(edges, {(GATEWAY[0], GATEWAY[0]), (GATEWAY[0], PROCESSOR[0]),
                                 (PROCESSOR[0], INVENTORY[0]), (PROCESSOR[0], NOTIFICATION[0])})

    def test_errors(self):
        now = int(time.time())
        _, error = self.call("GetInsight", {"InsightId": "0f0f0f0f-0f0f-4f0f-8f0f-0f0f0f0f0f0f"})
        self.assertIn("InvalidRequestException", error)
        _, error = self.call("GetInsightSummaries", {
            "GroupName": "no-such-group", "StartTime": now - 3600, "EndTime": now})
        self.assertIn("InvalidRequestException", error)
        _, error = self.call("GetInsightImpactGraph", {
            "InsightId": self.closed_insight()["InsightId"], "StartTime": now - 7 * 3600,
            "EndTime": now})
        self.assertIn("InvalidRequestException", error)

    def test_validation_on_the_wire(self):
        if CLIENT != "boto3":
            self.skipTest("checked once")
        now = int(time.time())
        window = {"GroupName": "Default", "StartTime": now - 3600, "EndTime": now}
        bad = [
            ("/InsightSummaries", {"StartTime": now - 3600, "EndTime": now}),  # no group
            ("/InsightSummaries", dict(window, States=["ACTIVE", "CLOSED"])),
            ("/InsightSummaries", dict(window, States=["OPEN"])),
            ("/InsightSummaries", dict(window, MaxResults=101)),
            ("/InsightSummaries", dict(window, StartTime=now - 31 * 86400)),
            ("/InsightSummaries", {"GroupName": "Default", "EndTime": now}),
            ("/Insight", {"InsightId": "not-a-uuid"}),
            ("/Insight", {}),
            ("/InsightEvents", {"InsightId": self.closed_insight()["InsightId"],
                                "MaxResults": 51}),
        ]
        for path, body in bad:
            status, headers, answer = self.server.post_json(path, body)
            self.assertEqual(status, 400, (path, body, answer))
            self.assertEqual(answer["__type"], "InvalidRequestException", answer)
        status, _, answer = self.server.post_json("/InsightSummaries", dict(
            window, GroupARN=self.closed_insight()["GroupARN"], GroupName=None))
        self.assertEqual(status, 200, answer)

    def test_webhook_got_each_event_once(self):
        if CLIENT != "boto3":
            self.skipTest("checked once")
        insight_id = self.closed_insight()["InsightId"]
        deadline = time.time() + 10
        while time.time() < deadline and not any(
                b["detail"]["State"] == "CLOSED" for b in Hooks.bodies):
            time.sleep(0.2)
        bodies = [b for b in Hooks.bodies if b["detail"]["InsightId"] == insight_id]
        self.assertGreaterEqual(len(bodies), 2, Hooks.bodies)
        for body in bodies:
            self.assertEqual(body["detail-type"], "AWS X-Ray Insight Update")
            self.assertEqual(body["source"], "aws.xray")
            self.assertEqual(body["detail"]["RootCauseServiceId"]["Name"], INVENTORY[0])
        self.assertEqual([b["detail"]["State"] for b in bodies],
                         ["ACTIVE"] * (len(bodies) - 1) + ["CLOSED"])
        times = [b["detail"]["Event"]["EventTime"] for b in bodies]
        self.assertEqual(times, sorted(set(times)), "each event once, in order")
        events = self.ok("GetInsightEvents", {"InsightId": insight_id})["InsightEvents"]
        self.assertEqual(len(bodies), len(events))

    def test_zz_restart_keeps_the_insight(self):
        if CLIENT != "boto3":
            self.skipTest("checked once")
        before = self.closed_insight()
        events = self.ok("GetInsightEvents", {"InsightId": before["InsightId"]})["InsightEvents"]
        notified = len(Hooks.bodies)
        self.server.stop()
        self.server.start()
        time.sleep(3)  # a few evaluations over the rebuilt minute cells
        self.assertEqual(self.closed_insight(), before)
        self.assertEqual(
            self.ok("GetInsightEvents", {"InsightId": before["InsightId"]})["InsightEvents"],
            events)
        self.assertEqual(len(Hooks.bodies), notified, "no event is notified twice")


if __name__ == "__main__":
    CLIENT = harness.pick_client(sys.argv)
    harness.main()
