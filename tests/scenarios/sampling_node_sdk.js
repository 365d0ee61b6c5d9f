#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// What aws-xray-sdk-core (Node, tests/clients/node_modules) does with Roentgen's sampling
// targets (docs/sampling.md "SDK behaviours"). Usage:
//   node tests/scenarios/sampling_node_sdk.js HOST:PORT RATE SECONDS
// Points the SDK's centralized sampler at HOST:PORT (AWS_XRAY_DAEMON_ADDRESS), makes RATE
// traced requests per second for service `fleet-svc` for SECONDS, and prints one JSON line:
// the sampled count per second, and the quota/TTL the SDK stored for each rule after its
// target polls (the SDK misreads ReservoirQuotaTTL, see the docs).
'use strict';
const path = require('path');
const [address, rate, seconds] = process.argv.slice(2);
process.env.AWS_XRAY_DAEMON_ADDRESS = address;
process.env.AWS_XRAY_CONTEXT_MISSING = 'IGNORE_ERROR';
const modules = path.join(__dirname, '..', 'clients', 'node_modules');
const AWSXRay = require(path.join(modules, 'aws-xray-sdk-core'));
const sampling = path.join(modules, 'aws-xray-sdk-core', 'dist', 'lib', 'middleware', 'sampling');
const RuleCache = require(path.join(sampling, 'rule_cache'));
const DefaultSampler = require(path.join(sampling, 'default_sampler'));
AWSXRay.setLogger({error() {}, warn() {}, info() {}, debug() {}});

const perSecond = {};
const start = Date.now();
let count = 0;
function tick() {
  const due = start + (count * 1000) / Number(rate);
  if (due >= start + Number(seconds) * 1000) return finish();
  setTimeout(() => {
    const decision = DefaultSampler.shouldSample({serviceName: 'fleet-svc', host: 'h',
                                                  httpMethod: 'GET', urlPath: '/'});
    const second = Math.floor(Date.now() / 1000);
    perSecond[second] = perSecond[second] || {requests: 0, sampled: 0};
    perSecond[second].requests++;
    if (decision) perSecond[second].sampled++;
    count++;
    tick();
  }, Math.max(0, due - Date.now()));
}
function finish() {
  const rules = (RuleCache.getRules() || []).map((rule) => {
    const reservoir = rule.getReservoir();
    return {name: rule.getName(), rate: rule.getRate(), quota: reservoir.quota,
            ttl: reservoir.TTL};
  });
  console.log(JSON.stringify({perSecond, rules, now: Date.now() / 1000}));
  process.exit(0);
}
tick();
