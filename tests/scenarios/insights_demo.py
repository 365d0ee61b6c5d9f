#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Insights in real time with the order demo (issue 7; docs/insights.md "Trying it").

Starts `roentgen serve` (the detector every 10 s, notifications to a local webhook), turns on
insights and notifications for the Default group, runs `roentgen demo` (5 orders/s) and then:

  phase 1 (baseline): --baseline-minutes of normal traffic (the detector needs 10 minutes of
          history per service before anything can be anomalous);
  phase 2 (fault):    POST /admin/faults {"service":"inventory-manager","fault_rate":0.3};
          within --fault-minutes an ACTIVE FAULT insight must name inventory-manager as the
          root cause service on Default;
  phase 3 (recovery): fault_rate 0; within --recovery-minutes the insight must be CLOSED;
  phase 4 (latency, with --latency): latency_ms 1500 on inventory-manager must open a
          RESPONSE_TIME insight naming it, and removing the delay must close it.

The webhook must have received the insight's events (ACTIVE first, CLOSED last). Not part of
CI: it takes about 25 minutes (40 with --latency).

Usage: tests/scenarios/insights_demo.py [--binary build/dev/roentgen] [--demo-listen
127.0.0.1:8080] [--baseline-minutes 12] [--latency]
Exit codes: 0 pass, 1 fail.
"""

import argparse
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "clients"))
import harness  # noqa: E402

ROOT_CAUSE = "inventory-manager"
HOOK_BODIES = []


class Hooks(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        HOOK_BODIES.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def log(message):
    print(time.strftime("%H:%M:%S"), message, flush=True)


def admin_faults(demo_listen, body):
    request = urllib.request.Request("http://%s/admin/faults" % demo_listen,
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def summaries(server, state=None):
    now = time.time()
    request = {"GroupName": "Default", "StartTime": now - 6 * 3600, "EndTime": now + 60}
    if state:
        request["States"] = [state]
    status, _, body = server.post_json("/InsightSummaries", request)
    if status != 200:
        raise AssertionError("GetInsightSummaries: %s %s" % (status, body))
    return body["InsightSummaries"]


def wait_for(server, minutes, predicate, what):
    deadline = time.time() + minutes * 60
    while time.time() < deadline:
        found = [s for s in summaries(server) if predicate(s)]
        if found:
            log("%s: %s" % (what, json.dumps(found[0], sort_keys=True)))
            return found[0]
        time.sleep(10)
    raise AssertionError("timed out waiting for %s; insights: %s" % (what, summaries(server)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default=None)
    parser.add_argument("--demo-listen", default="127.0.0.1:8080")
    parser.add_argument("--rate", type=int, default=5)
    parser.add_argument("--baseline-minutes", type=float, default=12)
    parser.add_argument("--fault-minutes", type=float, default=6)
    parser.add_argument("--recovery-minutes", type=float, default=9)
    parser.add_argument("--latency", action="store_true")
    args = parser.parse_args()
    harness.configure(["--binary", args.binary] if args.binary else [])

    hooks = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    server = harness.Server(args=[
        "--quiet-period", "2s", "--insights-evaluate-interval", "10s",
        "--insights-webhook", "http://127.0.0.1:%d/insights" % hooks.server_port])
    demo = None
    try:
        server.start()
        status, _, body = server.post_json("/UpdateGroup", {
            "GroupName": "Default",
            "InsightsConfiguration": {"InsightsEnabled": True, "NotificationsEnabled": True}})
        assert status == 200, body
        demo = subprocess.Popen(
            [harness.BINARY, "demo", "--daemon", "127.0.0.1:%d" % server.port,
             "--listen", args.demo_listen, "--rate", str(args.rate)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log("roentgen on %s, demo on %s; baseline for %.0f minutes" % (
            server.endpoint, args.demo_listen, args.baseline_minutes))
        time.sleep(args.baseline_minutes * 60)
        if summaries(server):
            raise AssertionError("insights during the baseline: %s" % summaries(server))

        log("inventory-manager fault rate 0 -> 30 %%: %s" % (
            admin_faults(args.demo_listen, {"service": ROOT_CAUSE, "fault_rate": 0.3}),))
        fault = wait_for(server, args.fault_minutes, lambda s: (
            s["State"] == "ACTIVE" and s["Categories"] == ["FAULT"] and
            s["RootCauseServiceId"]["Name"] == ROOT_CAUSE), "fault insight opened")
        log("fault rate back to 0: %s" % (
            admin_faults(args.demo_listen, {"service": ROOT_CAUSE, "fault_rate": 0}),))
        wait_for(server, args.recovery_minutes, lambda s: (
            s["InsightId"] == fault["InsightId"] and s["State"] == "CLOSED"),
            "fault insight closed")
        status, _, events = server.post_json("/InsightEvents", {"InsightId": fault["InsightId"]})
        assert status == 200, events
        for event in events["InsightEvents"]:
            log("  event %s: %s" % (event["EventTime"], event["Summary"]))
        time.sleep(5)
        states = [b["detail"]["State"] for b in HOOK_BODIES
                  if b["detail"]["InsightId"] == fault["InsightId"]]
        log("webhook states: %s" % states)
        if not states or states[0] != "ACTIVE" or states[-1] != "CLOSED":
            raise AssertionError("webhook bodies: %s" % states)

        if args.latency:
            log("inventory-manager latency 1500 ms")
            admin_faults(args.demo_listen, {"service": ROOT_CAUSE, "latency_ms": 1500})
            slow = wait_for(server, args.fault_minutes, lambda s: (
                s["State"] == "ACTIVE" and s["Categories"] == ["RESPONSE_TIME"] and
                s["RootCauseServiceId"]["Name"] == ROOT_CAUSE), "response-time insight opened")
            admin_faults(args.demo_listen, {"service": ROOT_CAUSE, "latency_ms": 0})
            wait_for(server, args.recovery_minutes, lambda s: (
                s["InsightId"] == slow["InsightId"] and s["State"] == "CLOSED"),
                "response-time insight closed")
        log("PASS")
        return 0
    except AssertionError as error:
        log("FAIL: %s" % error)
        sys.stderr.write(server.log_tail())
        return 1
    finally:
        if demo is not None:
            demo.terminate()
            demo.wait(timeout=30)
        server.cleanup()
        hooks.shutdown()


if __name__ == "__main__":
    sys.exit(main())
