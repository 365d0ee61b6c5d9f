#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Sampling through the real clients: the recipe's two `aws xray create-sampling-rule
--cli-input-json` documents (read from the recipe text itself), get-sampling-rules,
update-sampling-rule, get-sampling-targets, get-sampling-statistic-summaries and
delete-sampling-rule, with errors (range checks, duplicates, the Default rule).

`--client cli-v1|cli-v2|boto3|node` picks the client (ctest registers each); a missing
client exits 77. The daemon-side checks that need no client (the X-Ray SDKs' captured
unsigned requests, the OTel sampler's body-less calls, the rule limit, persistence across a
restart) run with every client.
"""

import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

CLIENT = None
RECIPE = "reference/000_91255ed27935efe5.txt"


def recipe_rule_files():
    """{file name: JSON text} of the recipe's `cat > /tmp/*-sampling.json << EOF` documents."""
    with open(os.path.join(harness.SHARED, RECIPE), encoding="utf-8") as f:
        text = f.read()
    found = re.findall(r"cat > /tmp/([\w-]+-sampling\.json) << EOF\n(.*?)\n\s*EOF", text, re.S)
    return {name: body for name, body in found}


def epoch(value):
    """A timestamp as each client shows it (number, ISO string, datetime) -> epoch seconds."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


ClientError = harness.ClientError


class XRay:
    """One operation through the chosen client: call(operation, **params) -> dict or raises
    ClientError(code, message). Operation and parameter names are the API's (PascalCase)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.boto = None
        if CLIENT == "boto3":
            self.boto = harness.boto3_client("xray", endpoint)

    def call(self, operation, cli_args=None, **params):
        if CLIENT.startswith("cli"):
            return self._cli(operation, params, cli_args)
        if CLIENT == "boto3":
            response = harness.boto3_call(self.boto, operation, params)
            return response
        return self._node(operation, params)

    def _cli(self, operation, params, cli_args):
        binary = shutil.which("aws") if CLIENT == "cli-v1" else "/usr/bin/aws"
        command = re.sub(r"(?<!^)(?=[A-Z])", "-", operation).lower()
        cmd = [binary, "xray", command, "--endpoint-url", self.endpoint, "--region",
               "us-east-1", "--output", "json"]
        if cli_args is not None:
            cmd += cli_args
        for key, value in params.items():
            flag = "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", key).lower()
            flag = flag.replace("-a-r-n", "-arn")
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            cmd += [flag, str(value)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=harness.client_env(),
                             timeout=120)
        if out.returncode != 0:
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
  const input = JSON.parse(params, (k, v) => (k === 'Timestamp' ? new Date(v * 1000) : v));
  try {
    const out = await client.send(new xray[operation + 'Command'](input));
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


class SamplingTest(harness.ServerTestCase):

    def setUp(self):
        self.server = self.start_server()
        self.xray = XRay(self.server.endpoint)

    def rules_by_name(self):
        records = self.xray.call("GetSamplingRules")["SamplingRuleRecords"]
        return {r["SamplingRule"]["RuleName"]: r for r in records}

    def assert_error(self, code, operation, **params):
        with self.assertRaises(ClientError) as caught:
            self.xray.call(operation, **params)
        self.assertEqual(caught.exception.code, code, caught.exception.message)
        return caught.exception.message

    def create_recipe_rules(self):
        files = recipe_rule_files()
        self.assertEqual(sorted(files), ["error-sampling.json", "high-priority-sampling.json"])
        records = {}
        for name, text in sorted(files.items()):
            document = json.loads(text)
            if CLIENT.startswith("cli"):
                # The recipe's own command: --cli-input-json file:///tmp/....
                with tempfile.NamedTemporaryFile("w", suffix="-" + name, delete=False) as f:
                    f.write(text)
                self.addCleanup(os.unlink, f.name)
                out = self.xray.call("CreateSamplingRule",
                                     cli_args=["--cli-input-json", "file://" + f.name])
            else:
                out = self.xray.call("CreateSamplingRule", **document)
            record = out["SamplingRuleRecord"]
            rule = record["SamplingRule"]
            for key, value in document["SamplingRule"].items():
                self.assertEqual(rule[key], value, key)
            self.assertEqual(rule["RuleARN"], "arn:aws:xray:us-east-1:000000000000:"
                             "sampling-rule/" + rule["RuleName"])
            self.assertEqual(rule["Attributes"], {})
            self.assertLess(abs(epoch(record["CreatedAt"]) - time.time()), 60)
            records[rule["RuleName"]] = record
        return records

    def test_recipe_rules_lifecycle(self):
        created = self.create_recipe_rules()
        self.assertEqual(set(created), {"high-priority-requests", "error-traces"})
        rules = self.rules_by_name()
        self.assertEqual(set(rules), {"Default", "high-priority-requests", "error-traces"})
        default = rules["Default"]["SamplingRule"]
        self.assertEqual((default["Priority"], default["ReservoirSize"], default["FixedRate"]),
                         (10000, 1, 0.05))
        for record in rules.values():
            self.assertEqual(record["SamplingRule"]["Attributes"], {})
            self.assertEqual(record["SamplingRule"]["Version"], 1)
        self.assertEqual(rules["error-traces"]["SamplingRule"]["Priority"], 50)
        self.assertEqual(rules["high-priority-requests"]["SamplingRule"]["ServiceName"],
                         "order-processor")

        # The captured update (fixtures/clients/awscli/*/24-xray-update-sampling-rule.http).
        update = {"RuleName": "high-priority-requests", "FixedRate": 0.5, "ReservoirSize": 20}
        updated = self.xray.call("UpdateSamplingRule", SamplingRuleUpdate=update)
        rule = updated["SamplingRuleRecord"]["SamplingRule"]
        self.assertEqual((rule["FixedRate"], rule["ReservoirSize"], rule["Priority"]),
                         (0.5, 20, 100))
        self.assertGreaterEqual(epoch(updated["SamplingRuleRecord"]["ModifiedAt"]),
                                epoch(created["high-priority-requests"]["ModifiedAt"]))
        # The Default rule's rates can change, nothing else.
        default_update = self.xray.call("UpdateSamplingRule", SamplingRuleUpdate={
            "RuleName": "Default", "FixedRate": 0.1, "ReservoirSize": 2})
        self.assertEqual(default_update["SamplingRuleRecord"]["SamplingRule"]["FixedRate"], 0.1)
        self.assert_error("InvalidRequestException", "UpdateSamplingRule",
                          SamplingRuleUpdate={"RuleName": "Default", "ServiceName": "x"})

        # The recipe's cleanup.
        for name in ("high-priority-requests", "error-traces"):
            deleted = self.xray.call("DeleteSamplingRule", RuleName=name)
            self.assertEqual(deleted["SamplingRuleRecord"]["SamplingRule"]["RuleName"], name)
        self.assertEqual(set(self.rules_by_name()), {"Default"})
        self.assert_error("InvalidRequestException", "DeleteSamplingRule", RuleName="Default")
        self.assert_error("InvalidRequestException", "DeleteSamplingRule", RuleName="nope")

    def test_out_of_range_rules_are_rejected(self):
        # What the CLI does not check itself (xray-protocol.md §1.4, §9.2).
        base = json.loads(recipe_rule_files()["error-sampling.json"])["SamplingRule"]
        for change, word in (({"Priority": 100000}, "Priority"), ({"FixedRate": 5}, "FixedRate"),
                             ({"RuleName": "r" * 40}, "RuleName")):
            rule = dict(base, **change)
            message = self.assert_error("InvalidRequestException", "CreateSamplingRule",
                                        SamplingRule=rule)
            self.assertIn(word, message)
        self.xray.call("CreateSamplingRule", SamplingRule=base)
        self.assert_error("InvalidRequestException", "CreateSamplingRule", SamplingRule=base)

    def test_targets_and_statistic_summaries(self):
        self.create_recipe_rules()
        now = int(time.time())
        document = {"RuleName": "high-priority-requests", "ClientID": "0123456789abcdef01234567",
                    "Timestamp": now, "RequestCount": 200, "SampledCount": 7, "BorrowCount": 1}
        out = self.xray.call("GetSamplingTargets", SamplingStatisticsDocuments=[
            document, dict(document, RuleName="no-such-rule")])
        [target] = out["SamplingTargetDocuments"]
        self.assertEqual(target["RuleName"], "high-priority-requests")
        self.assertEqual(target["FixedRate"], 1)
        self.assertEqual(target["ReservoirQuota"], 10)
        self.assertEqual(target["Interval"], 10)
        ttl = epoch(target["ReservoirQuotaTTL"])
        self.assertTrue(now + 10 <= ttl <= now + 60, (now, ttl))
        self.assertLessEqual(epoch(out["LastRuleModification"]), time.time())
        [unprocessed] = out["UnprocessedStatistics"]
        self.assertEqual(unprocessed["RuleName"], "no-such-rule")
        self.assertTrue(unprocessed["ErrorCode"].startswith("4"))

        summaries = self.xray.call("GetSamplingStatisticSummaries")["SamplingStatisticSummaries"]
        [summary] = [s for s in summaries if s["RuleName"] == "high-priority-requests"]
        self.assertEqual((summary["RequestCount"], summary["SampledCount"],
                          summary["BorrowCount"]), (200, 7, 1))
        self.assertLessEqual(abs(epoch(summary["Timestamp"]) - now), 10)

    # -- client-independent daemon checks ------------------------------------------------------
    def test_sdk_daemon_requests(self):
        """The X-Ray SDKs' captured, unsigned requests to the daemon address, replayed raw."""
        status, _, body = self.server.post_json("/CreateSamplingRule", json.loads(
            recipe_rule_files()["error-sampling.json"]))
        self.assertEqual(status, 200, body)
        fixtures = sorted(glob.glob(os.path.join(harness.SHARED, "fixtures/clients/xray-sdk-*",
                                                 "*Sampling*.http")) +
                          glob.glob(os.path.join(harness.SHARED, "fixtures/clients/xray-sdk-*",
                                                 "*", "*Sampling*.http")))
        self.assertGreaterEqual(len(fixtures), 4, fixtures)
        for path in fixtures:
            with open(path, "rb") as f:
                raw = f.read()
            status, headers, body = self.server.send_raw_http(raw)
            self.assertEqual(status, 200, (path, body))
            self.assertEqual(headers["content-type"], "application/json")
            answer = json.loads(body)
            if "GetSamplingRules" in path:
                names = [r["SamplingRule"]["RuleName"] for r in answer["SamplingRuleRecords"]]
                self.assertEqual(names, ["Default", "error-traces"])
                for record in answer["SamplingRuleRecords"]:
                    self.assertEqual(record["SamplingRule"]["Attributes"], {})
                    self.assertIsInstance(record["CreatedAt"], (int, float))
            else:
                [target] = answer["SamplingTargetDocuments"]
                self.assertEqual(target["RuleName"], "error-traces")
                # Integers as integer literals, timestamps as numbers (xray-protocol.md §1.2).
                self.assertIsInstance(target["ReservoirQuota"], int)
                self.assertIsInstance(target["Interval"], int)
                self.assertIsInstance(target["ReservoirQuotaTTL"], (int, float))
                self.assertIsInstance(answer["LastRuleModification"], (int, float))
                self.assertGreater(target["ReservoirQuotaTTL"], time.time())
                self.assertEqual(answer["UnprocessedStatistics"], [])

    def test_otel_sampler_calls_without_body(self):
        for path in ("/GetSamplingRules", "/SamplingTargets", "/GetSamplingTargets"):
            status, _, body = self.server.request("POST", path)
            self.assertEqual(status, 200, (path, body))
            answer = json.loads(body)
            if path == "/GetSamplingRules":
                self.assertEqual(answer["SamplingRuleRecords"][0]["SamplingRule"]["RuleName"],
                                 "Default")
            else:
                self.assertEqual(answer["SamplingTargetDocuments"], [])
        # Java's Jackson sends the statistics Timestamp in epoch milliseconds.
        status, _, answer = self.server.post_json("/SamplingTargets", {
            "SamplingStatisticsDocuments": [{
                "RuleName": "Default", "ClientID": "aaaaaaaaaaaaaaaaaaaaaaaa",
                "Timestamp": int(time.time() * 1000), "RequestCount": 3, "SampledCount": 1,
                "BorrowCount": 1}]})
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["SamplingTargetDocuments"][0]["ReservoirQuota"], 1)

    def test_rule_limit_and_persistence(self):
        base = json.loads(recipe_rule_files()["error-sampling.json"])["SamplingRule"]
        for i in range(25):
            status, _, body = self.server.post_json(
                "/CreateSamplingRule", {"SamplingRule": dict(base, RuleName="rule-%02d" % i)})
            self.assertEqual(status, 200, body)
        status, headers, body = self.server.post_json(
            "/CreateSamplingRule", {"SamplingRule": dict(base, RuleName="one-too-many")})
        self.assertEqual(status, 400)
        self.assertEqual(headers["x-amzn-errortype"], "RuleLimitExceededException")
        status, _, body = self.server.post_json("/UpdateSamplingRule", {
            "SamplingRuleUpdate": {"RuleName": "Default", "ReservoirSize": 4}})
        self.assertEqual(status, 200, body)
        status, _, before = self.server.post_json("/GetSamplingRules", {})
        self.server.stop()
        restarted = self.start_server(data_dir=self.server.data_dir)
        status, _, after = restarted.post_json("/GetSamplingRules", {})
        self.assertEqual(status, 200)
        self.assertEqual(after, before)
        self.assertEqual(len(after["SamplingRuleRecords"]), 26)
        self.assertEqual(after["SamplingRuleRecords"][0]["SamplingRule"]["ReservoirSize"], 4)


if __name__ == "__main__":
    CLIENT = harness.pick_client(sys.argv)
    harness.main()
