#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Groups through the real clients: the recipe's three `aws xray create-group` commands,
get-groups, get-group by name and ARN, update-group (filter and insights), tags,
delete-group (and the Default group's refusal), errors, and group.name in
get-trace-summaries.

`--client cli-v1|cli-v2|boto3|node` picks the client (ctest registers each); a missing
client exits 77. The server-side checks that need no client (persistence across a restart,
seal-time memberships) run with every client.
"""

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

RECIPE_GROUPS = [
    ("high-latency-requests", "responsetime > 2"),
    ("error-traces", "error = true OR fault = true"),
    ("order-processor-service", 'service("order-processor")'),
]


ClientError = harness.ClientError


class XRay:
    """One operation through the chosen client: call(operation, **params) -> dict or raises
    ClientError(code, message). Operation and parameter names are the API's (PascalCase)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.boto = None
        if CLIENT == "boto3":
            self.boto = harness.boto3_client("xray", endpoint)

    def call(self, operation, **params):
        if CLIENT.startswith("cli"):
            return self._cli(operation, params)
        if CLIENT == "boto3":
            response = harness.boto3_call(self.boto, operation, params)
            return response
        return self._node(operation, params)

    def _cli(self, operation, params):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        command = "".join("-" + c.lower() if c.isupper() else c for c in operation)[1:]
        cmd = [binary, "xray", command, "--endpoint-url", self.endpoint, "--region",
               "us-east-1", "--output", "json"]
        for key, value in params.items():
            flag = "--" + "".join("-" + c.lower() if c.isupper() else c for c in key)[1:]
            flag = flag.replace("-a-r-n", "-arn")
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            cmd += [flag, str(value)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                             timeout=120)
        if out.returncode != 0:
            # "An error occurred (InvalidRequestException) when calling ...: message"
            text = out.stderr.strip()
            code = text.split("(", 1)[1].split(")", 1)[0] if "(" in text else "?"
            message = text.split(": ", 1)[1] if ": " in text else text
            raise ClientError(code, message)
        return json.loads(out.stdout) if out.stdout.strip() else {}

    def _node(self, operation, params):
        script = r"""
const xray = require('@aws-sdk/client-xray');
const [endpoint, operation, params] = process.argv.slice(1);
(async () => {
  const client = new xray.XRayClient({endpoint, region: 'us-east-1', maxAttempts: 1,
      credentials: {accessKeyId: 'AKIDEXAMPLE',
                    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'}});
  try {
    const out = await client.send(new xray[operation + 'Command'](JSON.parse(params)));
    delete out.$metadata;
    console.log(JSON.stringify({ok: out}));
  } catch (e) {
    console.log(JSON.stringify({error: {code: e.name, message: e.message}}));
  }
})().catch((e) => { console.error(e); process.exit(1); });
"""
        result = harness.run_node(script, self.endpoint, operation, json.dumps(params))
        if "error" in result:
            raise ClientError(result["error"]["code"], result["error"]["message"])
        return result["ok"]


class GroupsTest(harness.ServerTestCase):

    def setUp(self):
        self.server = harness.Server(args=["--quiet-period", "200ms"])
        self.addCleanup(self.server.cleanup)
        self.server.start()
        self.xray = XRay(self.server.endpoint)

    def groups_by_name(self):
        groups = self.xray.call("GetGroups")["Groups"]
        return {g["GroupName"]: g for g in groups}

    def assert_error(self, code, operation, **params):
        with self.assertRaises(ClientError) as caught:
            self.xray.call(operation, **params)
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        return caught.exception.message

    def test_recipe_groups_lifecycle(self):
        arns = {}
        for name, expression in RECIPE_GROUPS:
            group = self.xray.call("CreateGroup", GroupName=name,
                                   FilterExpression=expression)["Group"]
            self.assertEqual(group["GroupName"], name)
            self.assertEqual(group["FilterExpression"], expression)
            self.assertTrue(group["GroupARN"].startswith(
                "arn:aws:xray:us-east-1:000000000000:group/%s/" % name), group["GroupARN"])
            self.assertEqual(group["InsightsConfiguration"],
                             {"InsightsEnabled": False, "NotificationsEnabled": False})
            arns[name] = group["GroupARN"]

        listed = self.groups_by_name()
        self.assertEqual(set(listed), {"Default"} | {n for n, _ in RECIPE_GROUPS})
        self.assertEqual(listed["Default"]["GroupARN"],
                         "arn:aws:xray:us-east-1:000000000000:group/Default")
        self.assertNotIn("FilterExpression", listed["Default"])
        for name, expression in RECIPE_GROUPS:
            self.assertEqual(listed[name]["FilterExpression"], expression)
            self.assertEqual(listed[name]["GroupARN"], arns[name])

        by_arn = self.xray.call("GetGroup", GroupARN=arns["error-traces"])["Group"]
        self.assertEqual(by_arn["GroupName"], "error-traces")

        updated = self.xray.call("UpdateGroup", GroupName="high-latency-requests",
                                 FilterExpression="responsetime > 3",
                                 InsightsConfiguration={"InsightsEnabled": True,
                                                        "NotificationsEnabled": True})["Group"]
        self.assertEqual(updated["FilterExpression"], "responsetime > 3")
        self.assertEqual(updated["InsightsConfiguration"],
                         {"InsightsEnabled": True, "NotificationsEnabled": True})
        default = self.xray.call("UpdateGroup", GroupName="Default",
                                 InsightsConfiguration={"InsightsEnabled": True})["Group"]
        self.assertTrue(default["InsightsConfiguration"]["InsightsEnabled"])

        # Tags on a group ARN.
        self.xray.call("TagResource", ResourceARN=arns["error-traces"],
                       Tags=[{"Key": "team", "Value": "orders"}, {"Key": "env", "Value": "prod"}])
        self.xray.call("UntagResource", ResourceARN=arns["error-traces"], TagKeys=["env"])
        tags = self.xray.call("ListTagsForResource", ResourceARN=arns["error-traces"])["Tags"]
        self.assertEqual(tags, [{"Key": "team", "Value": "orders"}])

        # The recipe's clean-up.
        self.xray.call("DeleteGroup", GroupName="high-latency-requests")
        self.xray.call("DeleteGroup", GroupARN=arns["error-traces"])
        self.assertEqual(set(self.groups_by_name()), {"Default", "order-processor-service"})
        self.assert_error("InvalidRequestException", "GetGroup", GroupName="error-traces")

    def test_errors_come_back_as_the_clients_expect(self):
        self.xray.call("CreateGroup", GroupName="slow", FilterExpression="responsetime > 2")
        message = self.assert_error("InvalidRequestException", "CreateGroup", GroupName="slow",
                                    FilterExpression="fault")
        self.assertIn("already exists", message)
        message = self.assert_error("InvalidRequestException", "CreateGroup", GroupName="broken",
                                    FilterExpression="responsetime >")
        self.assertIn("column 15", message)
        self.assert_error("InvalidRequestException", "CreateGroup", GroupName="bad name!")
        self.assert_error("InvalidRequestException", "CreateGroup", GroupName="Default")
        message = self.assert_error("InvalidRequestException", "DeleteGroup", GroupName="Default")
        self.assertIn("Default", message)
        self.assert_error("InvalidRequestException", "CreateGroup", GroupName="refers",
                          FilterExpression='group.name = "missing"')
        self.xray.call("CreateGroup", GroupName="slow-faults",
                       FilterExpression='group.name = "slow" AND fault')
        message = self.assert_error("InvalidRequestException", "DeleteGroup", GroupName="slow")
        self.assertIn("slow-faults", message)
        self.assert_error("InvalidRequestException", "UpdateGroup", GroupName="slow",
                          FilterExpression='group.name = "slow-faults"')
        self.assert_error("ResourceNotFoundException", "ListTagsForResource",
                          ResourceARN="arn:aws:xray:us-east-1:000000000000:group/nope/X")
        arn = self.xray.call("GetGroup", GroupName="slow")["Group"]["GroupARN"]
        self.assert_error("TooManyTagsException", "TagResource", ResourceARN=arn,
                          Tags=[{"Key": "k%d" % i, "Value": "v"} for i in range(51)])

    def test_group_name_in_trace_search_and_memberships_survive_a_restart(self):
        rng = random.Random(3)
        now = time.time()
        docs, slow, faulty = [], set(), set()
        for i in range(40):
            trace = harness.new_trace_id(rng, epoch=int(now - 600 + i))
            response = 2.5 if i % 4 == 0 else 0.3
            fault = i % 5 == 0
            docs.append(json.dumps({"trace_id": trace, "id": harness.new_id(rng),
                                    "name": "order-processor", "start_time": now - 600 + i,
                                    "end_time": now - 600 + i + response, "fault": fault}))
            if response > 2:
                slow.add(trace)
            if fault:
                faulty.add(trace)
        # Traces stored before the group exists are found too: group.name = "G" tests G's
        # filter, not a membership.
        def wait_sealed(count):
            deadline = time.time() + 20
            while time.time() < deadline:
                status, _, body = self.server.post_json("/TraceSummaries", {
                    "StartTime": 0, "EndTime": 4e9, "TimeRangeType": "Event"})
                if (harness.metric_sum(self.server.metrics(), "roentgen_store_open_traces") == 0
                        and status == 200 and body["TracesProcessedCount"] >= count):
                    return
                time.sleep(0.1)
            raise AssertionError("traces not sealed in time\n" + self.server.log_tail())

        self.server.put_ok(docs[:20])
        wait_sealed(20)
        self.assertEqual(harness.metric_sum(self.server.metrics(),
                                            "roentgen_group_matches_total"), 0)
        self.xray.call("CreateGroup", GroupName="high-latency-requests",
                       FilterExpression="responsetime > 2")
        self.server.put_ok(docs[20:])
        wait_sealed(40)

        def search(expression):
            status, _, body = self.server.post_json("/TraceSummaries", {
                "StartTime": now - 3600, "EndTime": now + 60, "TimeRangeType": "Event",
                "FilterExpression": expression})
            self.assertEqual(status, 200, body)
            return {s["Id"] for s in body["TraceSummaries"]}

        self.assertEqual(search('group.name = "high-latency-requests"'), slow)
        self.assertEqual(search('group.name = "high-latency-requests" AND fault'), slow & faulty)
        self.assertEqual(len(search('group.name = "Default"')), 40)
        # Traces sealed after the group was created were classified into it.
        self.assertGreaterEqual(harness.metric_sum(self.server.metrics(),
                                                   "roentgen_group_matches_total"),
                                len([d for d in docs[20:] if json.loads(d)["trace_id"] in slow]))

        self.server.stop()
        self.server.start()
        self.xray = XRay(self.server.endpoint)
        group = self.xray.call("GetGroup", GroupName="high-latency-requests")["Group"]
        self.assertEqual(group["FilterExpression"], "responsetime > 2")
        self.assertEqual(search('group.name = "high-latency-requests"'), slow)


if __name__ == "__main__":
    CLIENT = harness.pick_client(sys.argv)
    harness.main()
