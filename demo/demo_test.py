#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end test of the order demo (docs/demo.md): a real `roentgen serve`, `roentgen-demo`
pointed at its daemon port, orders sent to the API gateway stage, then the traces read back
with BatchGetTraces, GetTraceGraph and GetTraceSummaries.

    python3 demo/demo_test.py --binary build/dev/roentgen --demo build/dev/roentgen-demo
"""

import http.client
import json
import shutil
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "clients"))
import harness  # noqa: E402

DEMO = None
NODES = {"xray-monitoring-api/prod", "order-processor", "inventory-manager",
         "notification-service", "orders"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post_order(port, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", "/prod/orders", body=json.dumps(body),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        header = resp.getheader("X-Amzn-Trace-Id") or ""
        fields = dict(p.split("=", 1) for p in header.split(";") if "=" in p)
        return resp.status, fields.get("Root")
    finally:
        conn.close()


class DemoTest(harness.ServerTestCase):
    def start_demo(self, server, *extra):
        port = free_port()
        proc = subprocess.Popen(
            [DEMO, "--daemon", "127.0.0.1:%d" % server.udp_addr[1], "--listen",
             "127.0.0.1:%d" % port, "--rate", "0"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=harness._die_with_parent)
        self.addCleanup(proc.stdout.close)
        self.addCleanup(proc.wait, 10)
        self.addCleanup(proc.terminate)
        line = proc.stdout.readline().decode()
        self.assertTrue(line.startswith("roentgen-demo: listening gateway=127.0.0.1:%d" % port),
                        line)
        self.demo_proc = proc
        return port

    def admin(self, port, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            if body is None:
                conn.request("GET", "/admin/faults")
            else:
                conn.request("POST", "/admin/faults", body=json.dumps(body))
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def get_order(self, port, order_id):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/prod/orders/" + order_id)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def test_injected_faults_have_the_function_as_root_cause(self):
        server = self.start_server()
        port = self.start_demo(server, "--no-metrics")
        status, body = self.admin(port, {"service": "nope", "fault_rate": 0.5})
        self.assertEqual(status, 400, body)
        status, body = self.admin(port, {"service": "inventory-manager", "fault_rate": 2})
        self.assertEqual(status, 400, body)
        status, body = self.admin(port, {"service": "inventory-manager", "fault_rate": 1})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["inventory-manager"]["fault_rate"], 1)
        self.assertEqual(self.admin(port)[1]["inventory-manager"]["fault_rate"], 1)
        status, faulted = post_order(port, {"customerId": "c1", "productId": "p1", "quantity": 1})
        self.assertEqual(status, 502)
        self.assertEqual(self.admin(port, {"service": "inventory-manager",
                                           "fault_rate": 0})[0], 200)
        status, healthy = post_order(port, {"customerId": "c1", "productId": "p1", "quantity": 1})
        self.assertEqual(status, 200)

        # The faulted trace: inventory-manager recorded the exception, and X-Ray's fault root
        # cause (the deepest faulting service) is inventory-manager.
        docs = server.wait_for_documents(
            [faulted, healthy], lambda d: len(harness.non_inferred(d.get(faulted, []))) >= 3,
            timeout=20)
        inventory = {d["name"]: d for d in docs[faulted]}["inventory-manager"]
        self.assertTrue(inventory.get("fault"))
        self.assertEqual(inventory["cause"]["exceptions"][0]["type"], "InjectedFault")
        self.assertIn(inventory["annotations"]["warehouse"],
                      {"us-east-1a", "us-east-1b", "eu-west-1a"})
        deadline = time.monotonic() + 10
        causes = []
        while time.monotonic() < deadline and not causes:
            status, _, body = server.post_json("/TraceSummaries", {
                "StartTime": time.time() - 300, "EndTime": time.time() + 60,
                "FilterExpression": 'fault = true'})
            self.assertEqual(status, 200, body)
            causes = [s.get("FaultRootCauses", []) for s in body["TraceSummaries"]
                      if s["Id"] == faulted]
            time.sleep(0.2)
        self.assertTrue(causes, "the faulted trace is not found by fault = true")
        deepest = {service["Name"] for cause in causes[0] for service in cause["Services"]
                   if service["EntityPath"][-1]["Name"] == "inventory-manager"
                   and service["EntityPath"][-1].get("Exceptions")}
        self.assertEqual(deepest, {"inventory-manager"}, causes)

    def test_orders_table_is_durable_and_readable(self):
        server = self.start_server()
        db_dir = tempfile.mkdtemp(prefix="roentgen-demo-")
        self.addCleanup(shutil.rmtree, db_dir, True)
        db = os.path.join(db_dir, "orders.sqlite")
        port = self.start_demo(server, "--no-metrics", "--orders-db", db)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/prod/orders",
                     body=json.dumps({"customerId": "c7", "productId": "p7", "quantity": 3}))
        created = json.loads(conn.getresponse().read())
        conn.close()
        order_id = created["orderId"]
        status, item = self.get_order(port, order_id)
        self.assertEqual(status, 200, item)
        self.assertEqual((item["customerId"], item["productId"], item["quantity"]),
                         ("c7", "p7", 3))
        self.assertEqual(self.get_order(port, "ord-missing")[0], 404)
        # A new demo process on the same file still has the order.
        self.demo_proc.terminate()
        self.demo_proc.wait(10)
        port = self.start_demo(server, "--no-metrics", "--orders-db", db)
        status, again = self.get_order(port, order_id)
        self.assertEqual(status, 200)
        self.assertEqual(again, item)

    def cloudwatch(self, server, operation, body):
        status, _, answer = server.post_json("/", body, headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "GraniteServiceVersion20100801." + operation})
        self.assertEqual(status, 200, answer)
        return answer

    def test_lambda_metrics_reach_the_server_per_function(self):
        # What the recipe's dashboard shows: AWS/Lambda Duration, Errors and Throttles per
        # FunctionName, sent with PutMetricData to the server (given as an endpoint URL).
        server = self.start_server()
        port = self.start_demo(server, "--metrics-endpoint", server.endpoint,
                               "--metrics-interval", "1", "--project-name", "shop",
                               "--fault", "notification-service=1")
        for i in range(3):
            status, _ = post_order(port, {"customerId": "c%d" % i, "productId": "p",
                                          "quantity": 1})
            self.assertEqual(status, 502)  # the gateway's answer to a failed integration
        deadline = time.time() + 20
        points = {}
        while time.time() < deadline:
            for name, stat in (("Duration", "SampleCount"), ("Errors", "Sum")):
                answer = self.cloudwatch(server, "GetMetricStatistics", {
                    "Namespace": "AWS/Lambda", "MetricName": name,
                    "Dimensions": [{"Name": "FunctionName",
                                    "Value": "shop-notification-service"}],
                    "StartTime": time.time() - 600, "EndTime": time.time() + 60,
                    "Period": 3600, "Statistics": [stat]})
                points[name] = sum(p[stat] for p in answer["Datapoints"])
            if points["Duration"] >= 3 and points["Errors"] >= 3:
                break
            time.sleep(0.5)
        self.assertEqual(points, {"Duration": 3, "Errors": 3})
        listed = self.cloudwatch(server, "ListMetrics", {"Namespace": "AWS/Lambda"})
        functions = {d["Value"] for m in listed["Metrics"] for d in m["Dimensions"]
                     if d["Name"] == "FunctionName"}
        self.assertTrue({"shop-order-processor", "shop-inventory-manager",
                         "shop-notification-service"} <= functions, functions)

    def test_recipe_traffic_sends_ten_valid_and_three_invalid_orders(self):
        server = self.start_server()
        port = self.start_demo(server, "--no-metrics")
        out = subprocess.run([DEMO, "traffic", "--target", "127.0.0.1:%d" % port, "--recipe",
                              "--recipe-interval", "0"], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        lines = [l for l in out.stdout.splitlines() if "recipe order" in l]
        self.assertEqual(len(lines), 13, out.stdout)
        self.assertEqual(sum("HTTP 200" in l for l in lines[:10]), 10, out.stdout)
        self.assertEqual(sum("HTTP 400" in l for l in lines[10:]), 3, out.stdout)

    def test_orders_make_the_recipe_traces(self):
        server = self.start_server()
        port = self.start_demo(server)
        valid = []
        for i in range(6):
            status, root = post_order(port, {"customerId": "c%d" % i, "productId": "p1",
                                             "quantity": 1 + i})
            self.assertEqual(status, 200)
            self.assertTrue(root and root.startswith("1-"), root)
            valid.append(root)
        status, invalid = post_order(port, {"customerId": "c9"})
        self.assertEqual(status, 400)
        status, throttled = post_order(port, {"customerId": "c9", "productId": "p1",
                                              "quantity": 500})
        self.assertEqual(status, 429)
        status, faulted = post_order(port, {"customerId": "c9", "productId": "fault-widget"})
        self.assertEqual(status, 502)
        every = valid + [invalid, throttled, faulted]

        def names(docs):
            return {d["name"] for d in docs}

        def complete(answer):
            return (all(len(harness.non_inferred(answer.get(t, []))) == 4 for t in valid) and
                    len(answer.get(invalid, [])) >= 2 and
                    len(answer.get(throttled, [])) >= 3 and len(answer.get(faulted, [])) >= 4)

        docs = server.wait_for_documents(every, complete, timeout=20)
        self.assertTrue(complete(docs), {t: sorted(names(d)) for t, d in docs.items()})
        for trace_id in valid:
            by_name = {d["name"]: d for d in docs[trace_id]}
            self.assertEqual(set(by_name), {"xray-monitoring-api/prod", "order-processor",
                                            "inventory-manager", "notification-service",
                                            "DynamoDB"})
            self.assertEqual(by_name["xray-monitoring-api/prod"]["origin"],
                             "AWS::ApiGateway::Stage")
            table = by_name["DynamoDB"]
            self.assertTrue(table.get("inferred"))
            self.assertEqual(table["aws"]["table_name"], "orders")
            processor = by_name["order-processor"]
            self.assertEqual(processor["origin"], "AWS::Lambda::Function")
            self.assertEqual(processor["annotations"],
                             {"service": "order-processor", "operation": "create_order",
                              "inventory_check": "completed", "notification_sent": "true"})
            details = processor["metadata"]["default"]["order_details"]
            self.assertEqual(details["product_id"], "p1")
            self.assertTrue(details["order_id"].startswith("ord-"))
            inventory = by_name["inventory-manager"]
            self.assertEqual(inventory["annotations"]["inventory_updated"], "true")
            steps = {s["name"]: s for s in inventory["subsegments"]}
            self.assertGreaterEqual(
                steps["inventory_validation"]["end_time"] -
                steps["inventory_validation"]["start_time"], 0.095)
            self.assertGreaterEqual(
                steps["inventory_update"]["end_time"] - steps["inventory_update"]["start_time"],
                0.045)
            self.assertEqual(by_name["notification-service"]["annotations"]["notification_sent"],
                             "true")
        rejected = {d["name"]: d for d in docs[invalid]}
        self.assertTrue(rejected["order-processor"].get("error"))
        self.assertIn("error", rejected["order-processor"]["annotations"])
        self.assertNotIn("inventory-manager", rejected)
        self.assertTrue({d["name"]: d for d in docs[throttled]}["inventory-manager"]
                        .get("throttle"))
        self.assertTrue({d["name"]: d for d in docs[faulted]}["notification-service"]
                        .get("fault"))

        # The service graph of the valid traces: exactly the recipe's nodes (and the client).
        status, _, graph = server.post_json("/TraceGraph", {"TraceIds": valid[:5]})
        self.assertEqual(status, 200, graph)
        services = {(s["Name"], s["Type"]) for s in graph["Services"] if s["Type"] != "client"}
        self.assertEqual({n for n, _ in services}, NODES)
        self.assertIn(("orders", "AWS::DynamoDB::Table"), services)
        self.assertIn(("xray-monitoring-api/prod", "AWS::ApiGateway::Stage"), services)

        # GetServiceGraph over the traffic: the recipe's map (client, the stage, the three
        # functions, the orders table), with the stage's counts matching the orders sent:
        # 6 ok, the 400 an error, the 429 a throttle (inside errors), the 502 a fault.
        def service_graph():
            status, _, body = server.post_json("/ServiceGraph", {
                "StartTime": time.time() - 600, "EndTime": time.time() + 60})
            self.assertEqual(status, 200, body)
            return body

        deadline = time.monotonic() + 20
        graph = service_graph()
        while time.monotonic() < deadline:
            stage = [s for s in graph["Services"] if s["Name"] == "xray-monitoring-api/prod"]
            if stage and stage[0].get("SummaryStatistics", {}).get("TotalCount") == 9:
                break
            time.sleep(0.3)
            graph = service_graph()
        by_ref = {s["ReferenceId"]: s for s in graph["Services"]}
        self.assertEqual({s["Name"] for s in graph["Services"] if s["Type"] != "client"}, NODES)
        self.assertEqual(sum(1 for s in graph["Services"] if s["Type"] == "client"), 1)
        edges = {(s["Name"], by_ref[e["ReferenceId"]]["Name"])
                 for s in graph["Services"] for e in s.get("Edges", [])
                 if s["Type"] != "client"}
        self.assertEqual(edges, {
            ("xray-monitoring-api/prod", "order-processor"),
            ("order-processor", "orders"),
            ("order-processor", "inventory-manager"),
            ("order-processor", "notification-service")})
        stage = [s for s in graph["Services"] if s["Name"] == "xray-monitoring-api/prod"][0]
        stats = stage["SummaryStatistics"]
        self.assertEqual(stats["TotalCount"], 9, stats)
        self.assertEqual(stats["OkCount"], 6, stats)
        self.assertEqual(stats["ErrorStatistics"]["ThrottleCount"], 1, stats)
        self.assertEqual(stats["ErrorStatistics"]["OtherCount"], 1, stats)
        self.assertEqual(stats["FaultStatistics"]["TotalCount"], 1, stats)
        client = [s for s in graph["Services"] if s["Type"] == "client"][0]
        self.assertEqual([by_ref[e["ReferenceId"]]["Name"] for e in client["Edges"]],
                         ["xray-monitoring-api/prod"])
        self.assertEqual(client["Edges"][0]["SummaryStatistics"]["TotalCount"], 9)

        # The recipe's filter finds the orders (valid ones and the rejected one).
        now = time.time()
        expression = 'service("order-processor") AND annotation.operation = "create_order"'
        found = set()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not set(every) <= found:
            status, _, body = server.post_json("/TraceSummaries", {
                "StartTime": now - 300, "EndTime": now + 60, "FilterExpression": expression})
            self.assertEqual(status, 200, body)
            found = {s["Id"] for s in body.get("TraceSummaries", [])}
            time.sleep(0.2)
        self.assertLessEqual(set(every), found)


if __name__ == "__main__":
    args = []
    it = iter(sys.argv[1:])
    for arg in it:
        if arg == "--demo":
            DEMO = next(it)
        else:
            args.append(arg)
    sys.argv[1:] = args
    if not DEMO:
        DEMO = os.path.join(harness.REPO, "build", "dev", "roentgen-demo")
    harness.main()
