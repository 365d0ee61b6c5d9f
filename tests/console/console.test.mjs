// SPDX-License-Identifier: Apache-2.0
// The console in a real browser (issue #8, "How it is checked"): Debian's chromium driven by
// playwright-core against `roentgen serve` fed by the order demo and by synthetic traces sent
// with PutTraceSegments. Each test saves a screenshot in the artifacts directory.
//
//   node --test tests/console/console.test.mjs            (ctest: console_browser)
//   ROENTGEN_BINARY=build/dev/roentgen RG_CONSOLE_ARTIFACTS=/tmp/shots node --test ...
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import path from 'node:path';
import { Server, artifactsDir, launchBrowser, missing, run, simpleTrace, bigTrace, segmentId, traceId } from './harness.mjs';

const why = missing();
if (why) {
  console.log(`SKIP: ${why}`);
  process.exit(77);
}

const server = new Server();
let browser;
let page;
const shots = artifactsDir();
const errors = [];

before(async () => {
  await server.start(['--quiet-period', '500ms', '--max-trace-size', '4MiB']);
  // 20 % of order-processor's invocations take 1.2 s more, so `responsetime > 1` matches some.
  await server.startDemo(['--rate', '8', '--latency', 'order-processor=1200@0.2', '--metrics-interval', '2']);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('dialog', (d) => d.accept());
});

after(async () => {
  await browser?.close();
  await server.stop();
});

// Runs `body` and saves a screenshot named after the test, pass or fail.
async function withShot(name, body) {
  try {
    await body();
  } finally {
    await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: false }).catch(() => {});
  }
}

async function open(pathAndQuery) {
  await page.goto(server.url + '/console/' + pathAndQuery);
}

const GATEWAY = 'xray-monitoring-api/prod';

test('the service map shows the recipe nodes and edges', async () => {
  await withShot('service_map', async () => {
    await open('map?range=15m');
    const nodes = page.locator('[data-testid="graph-nodes"] > li');
    const want = [GATEWAY, 'order-processor', 'inventory-manager', 'notification-service', 'orders'];
    await assert.doesNotReject(
      page.waitForFunction(
        (names) => names.every((n) => document.querySelector(`[data-testid="graph-nodes"] li[data-node="${n}"]`)),
        want,
        { timeout: 30000, polling: 250 },
      ),
    );
    const types = Object.fromEntries(await nodes.evaluateAll((els) => els.map((e) => [e.dataset.node + '|' + e.dataset.type, true])));
    assert.ok(types['orders|AWS::DynamoDB::Table'], JSON.stringify(types));
    assert.ok(types['order-processor|AWS::Lambda::Function'], JSON.stringify(types));
    const edges = await page.locator('[data-testid="graph-nodes"] li[data-edge]').evaluateAll((els) => els.map((e) => e.dataset.edge));
    for (const e of [
      `${GATEWAY} -> order-processor`,
      'order-processor -> orders',
      'order-processor -> inventory-manager',
      'order-processor -> notification-service',
    ]) {
      assert.ok(edges.includes(e), `missing edge ${e} in ${JSON.stringify(edges)}`);
    }
    // The canvas has drawn the graph, and a node opens its statistics.
    await page.waitForFunction(() => {
      const box = document.querySelector('[data-testid="service-map"] .graph-canvas');
      return box?.querySelector('canvas') && box.cy?.nodes().some((n) => n.data('label').startsWith('order-processor\n'));
    });
    // Click the node on the canvas where cytoscape drew it. The live refresh may lay the graph
    // out again between reading the position and the click (a new node arrived), so the click
    // is retried with a fresh position until the panel opens.
    const panel = page.locator('[data-testid="stats-panel"]');
    for (let attempt = 0; attempt < 10 && !(await panel.isVisible()); ++attempt) {
      const at = await page.evaluate(() => {
        const box = document.querySelector('[data-testid="service-map"] .graph-canvas');
        const node = box.cy.nodes().filter((n) => n.data('label').startsWith('order-processor\n'))[0];
        const p = node.renderedPosition();
        const r = box.getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      });
      await page.mouse.click(at.x, at.y);
      await panel.waitFor({ timeout: 2000 }).catch(() => {});
    }
    await panel.waitFor();
    assert.match(await panel.locator('h2').innerText(), /order-processor/);
    assert.ok(Number(await panel.locator('[data-testid="stat-total"]').innerText()) > 0);
    assert.match(await page.locator('[data-testid="view-traces"]').getAttribute('href'), /filter=service%28%22order-processor%22%29/);
    assert.match(page.url(), /node=order-processor/);
  });
});

async function rowCount() {
  return page.locator('[data-testid="trace-row"]').count();
}

async function typeFilter(text) {
  const input = page.locator('[data-testid="filter-bar"] input');
  await input.fill('');
  await input.type(text, { delay: 0 });
  return input;
}

test('a filter narrows the trace list and a syntax error is shown at its column', async () => {
  await withShot('traces_filter', async () => {
    await open('traces?range=15m');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="trace-row"]').length >= 10, null, { timeout: 30000 });
    const before = await page.locator('[data-testid="trace-count"]').innerText();
    const total = Number(/of (\d+)/.exec(before)[1]);
    // Slow traces exist (the demo's latency injection); wait for some before filtering.
    const filter = 'service("order-processor") AND responsetime > 1';
    const input = await typeFilter(filter);
    await input.press('Enter');
    await page.waitForFunction(() => new URLSearchParams(location.search).get('filter')?.includes('responsetime > 1'));
    await page.waitForFunction(
      () => {
        const rows = [...document.querySelectorAll('[data-testid="trace-row"]')];
        return rows.length > 0 && rows.every((r) => Number(r.dataset.response) > 1);
      },
      null,
      { timeout: 20000 },
    );
    const after = await page.locator('[data-testid="trace-count"]').innerText();
    const matched = Number(/of (\d+)/.exec(after)[1]);
    assert.ok(matched > 0 && matched < total, `filter should narrow ${total} traces, got ${matched}`);
    // Every listed trace has a response time over 1 s.
    const times = await page.locator('[data-testid="trace-row"]').evaluateAll((els) => els.map((e) => Number(e.dataset.response)));
    assert.ok(times.every((t) => t > 1), JSON.stringify(times));
  });
  await withShot('traces_filter_error', async () => {
    const bad = 'service("order-processor") AND responsetime >';
    const input = await typeFilter(bad);
    await input.press('Enter');
    const message = page.locator('[data-testid="filter-error"]');
    await message.waitFor();
    // The server's own message for the same text gives the expected column.
    const now = Math.floor(Date.now() / 1000);
    const direct = await server.xray('/TraceSummaries', { StartTime: now - 60, EndTime: now, FilterExpression: bad });
    assert.equal(direct.status, 400);
    const column = Number(/at column (\d+)/.exec(direct.body.Message ?? direct.body.message)[1]);
    assert.equal(column, bad.length + 1);
    assert.ok((await message.innerText()).includes(`at column ${column}`), await message.innerText());
    const marker = page.locator('[data-testid="filter-error-marker"]');
    assert.equal(Number(await marker.getAttribute('data-column')), column);
    // The marker sits under that character of the input.
    const offset = await page.evaluate((col) => {
      const el = document.querySelector('[data-testid="filter-bar"] input');
      const style = getComputedStyle(el);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${style.fontSize} ${style.fontFamily}`;
      const text = el.value.slice(0, col - 1);
      // the middle of the character at that column
      const expected = el.getBoundingClientRect().left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth) + ctx.measureText(text).width + ctx.measureText('0').width / 2;
      const m = document.querySelector('[data-testid="filter-error-marker"]').getBoundingClientRect();
      return Math.abs(m.left + m.width / 2 - expected);
    }, column);
    assert.ok(offset < 4, `marker is ${offset}px from column ${column}`);
    assert.equal(await input.getAttribute('aria-invalid'), 'true');
  });
});

test('a range brushed on the response time distribution narrows the list', async () => {
  await withShot('traces_brush', async () => {
    await open('traces?range=15m&live=0');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="trace-row"]').length >= 10, null, { timeout: 30000 });
    const over = await page.locator('[data-testid="rt-histogram"] .u-over').boundingBox();
    const y = over.y + over.height / 2;
    await page.mouse.move(over.x + over.width * 0.5, y);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width - 1, y, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(() => new URLSearchParams(location.search).has('rt'));
    const [lo, hi] = new URL(page.url()).searchParams.get('rt').split('-').map(Number);
    assert.ok(lo > 0 && hi > lo, `rt=${lo}-${hi}`);
    await page.locator('[data-testid="rt-range"]').waitFor();
    const count = await page.locator('[data-testid="trace-count"]').innerText();
    const [, shown, total] = /(\d+) of (\d+)/.exec(count).map(Number);
    assert.ok(shown > 0 && shown < total, count);
    const times = await page.locator('[data-testid="trace-row"]').evaluateAll((els) => els.map((e) => Number(e.dataset.response)));
    assert.ok(times.every((t) => t >= lo && t <= hi), JSON.stringify({ lo, hi, times }));
  });
});

test('typing serv offers service( and then the service names', async () => {
  await withShot('completion', async () => {
    await open('traces?range=15m');
    const input = await typeFilter('serv');
    const list = page.locator('[data-testid="completions"]');
    await list.waitFor();
    const options = await list.locator('li').allInnerTexts();
    assert.ok(options.some((o) => o.startsWith('service(')), JSON.stringify(options));
    await input.press('Tab');
    assert.equal(await input.inputValue(), 'service("');
    await input.type('order');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="completions"] li')].some((l) => l.textContent.startsWith('order-processor')));
    await input.press('Tab');
    assert.equal(await input.inputValue(), 'service("order-processor")');
    await input.type(' AND annotation.');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="completions"] li')].some((l) => l.textContent.startsWith('annotation.operation')));
  });
});

test('a trace shows its subsegments in order with their durations', async () => {
  await withShot('trace_detail', async () => {
    // A complete, ordinary order: an ok trace through the whole recipe.
    const now = Math.floor(Date.now() / 1000);
    const r = await server.xray('/TraceSummaries', {
      StartTime: now - 600,
      EndTime: now + 1,
      FilterExpression: 'ok AND service("notification-service") AND responsetime < 1 AND !partial',
    });
    const id = r.body.TraceSummaries[0].Id;
    await open('traces?range=15m');
    await page.waitForSelector('[data-testid="trace-row"]');
    await open(`trace/${id}`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="wf-row"]').length >= n, 14);
    const rows = await page.locator('[data-testid="wf-row"]').evaluateAll((els) =>
      els.sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index)).map((e) => ({ name: e.dataset.name, id: e.dataset.id, ms: Number(e.dataset.durationMs) })),
    );
    const names = rows.map((r) => r.name);
    // The shape of docs/demo.md, depth first, children by start time; the DynamoDB call's
    // inferred segment (named after the subsegment, docs/api.md) under it.
    const expected = [
      GATEWAY, 'order-processor', 'order-processor', 'validate_order', 'dynamodb_put_item', 'DynamoDB', 'DynamoDB',
      'check_inventory', 'inventory-manager', 'inventory-manager', 'inventory_validation', 'inventory_update',
      'send_notification', 'notification-service', 'notification-service',
    ];
    assert.deepEqual(names, expected);
    // Durations are the documents' end_time - start_time.
    const docs = (await server.xray('/Traces', { TraceIds: [id] })).body.Traces[0].Segments.map((s) => JSON.parse(s.Document));
    const durations = new Map();
    const walk = (e) => {
      if (e.end_time !== undefined) durations.set(e.id, (e.end_time - e.start_time) * 1000);
      (e.subsegments ?? []).forEach(walk);
    };
    docs.forEach(walk);
    for (const row of rows) {
      assert.ok(durations.has(row.id), `row ${row.name} ${row.id} is not in the documents`);
      assert.ok(Math.abs(durations.get(row.id) - row.ms) < 0.01, `${row.name}: ${row.ms} ms shown, ${durations.get(row.id)} ms in the document`);
    }
    // inventory_validation takes ~100 ms in the demo, inventory_update ~50 ms.
    const validation = rows.find((r) => r.name === 'inventory_validation').ms;
    assert.ok(validation >= 90 && validation < 400, `inventory_validation ${validation} ms`);
    // The details pane shows the selected segment's annotations.
    await page.locator('[data-testid="wf-row"][data-index="2"]').click();
    const details = page.locator('[data-testid="details"]');
    await details.waitFor();
    assert.match(await details.locator('[data-testid="annotations"]').innerText(), /operation\s+create_order/);
    assert.match(page.url(), /seg=/);
    // The trace's own map.
    await page.getByRole('tab', { name: 'Trace map' }).click();
    await page.waitForSelector('[data-testid="trace-map"] li[data-node="orders"]', { state: 'attached' });
  });
});

test('a group created in the console is returned by aws xray get-groups', async () => {
  await withShot('groups', async () => {
    await open('groups');
    await page.locator('[data-testid="new-group"]').click();
    const form = page.locator('[data-testid="group-form"]');
    // A bad name and a bad filter get their messages.
    await form.locator('input[name="GroupName"]').fill('bad name!');
    await form.locator('[data-testid="save-group"]').click();
    assert.match(await form.locator('[data-testid="form-error"]').innerText(), /1-32 characters/);
    await form.locator('input[name="GroupName"]').fill('console-slow');
    await form.locator('[data-testid="group-filter"] input').fill('responsetime >');
    await form.locator('[data-testid="save-group"]').click();
    await form.locator('[data-testid="filter-error"]').waitFor();
    assert.match(await form.locator('[data-testid="filter-error"]').innerText(), /at column 15/);
    await form.locator('[data-testid="group-filter"] input').fill('responsetime > 2');
    await form.locator('[data-testid="save-group"]').click();
    await page.waitForSelector('[data-testid="group-row"][data-group="console-slow"]');
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
    const cli = await run('aws', ['xray', 'get-groups', '--endpoint-url', server.url, '--output', 'json'], env);
    assert.equal(cli.code, 0, cli.stderr);
    const groups = JSON.parse(cli.stdout).Groups;
    const g = groups.find((x) => x.GroupName === 'console-slow');
    assert.ok(g, cli.stdout);
    assert.equal(g.FilterExpression, 'responsetime > 2');
    // Edit the filter, then delete the group.
    await page.locator('[data-testid="group-row"][data-group="console-slow"] button', { hasText: 'Edit' }).click();
    await form.locator('[data-testid="group-filter"] input').fill('responsetime > 3');
    await form.locator('[data-testid="save-group"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="group-row"][data-group="console-slow"]')?.textContent.includes('responsetime > 3'));
    const got = await server.xray('/GetGroup', { GroupName: 'console-slow' });
    assert.equal(got.body.Group.FilterExpression, 'responsetime > 3');
    await page.locator('[data-testid="group-row"][data-group="console-slow"] button', { hasText: 'Delete' }).click();
    await page.waitForSelector('[data-testid="group-row"][data-group="console-slow"]', { state: 'detached' });
    assert.equal((await server.xray('/GetGroup', { GroupName: 'console-slow' })).status, 400);
  });
});

test('sampling rules are created, edited and deleted with validation messages', async () => {
  await withShot('sampling', async () => {
    await open('sampling');
    await page.locator('[data-testid="new-rule"]').click();
    const form = page.locator('[data-testid="rule-form"]');
    await form.locator('input[name="RuleName"]').fill('console-orders');
    await form.locator('input[name="Priority"]').fill('0');
    await form.locator('input[name="FixedRate"]').fill('1.5');
    await form.locator('[data-testid="save-rule"]').click();
    assert.match(await form.locator('[data-testid="error-Priority"]').innerText(), /1 to 9999/);
    assert.match(await form.locator('[data-testid="error-FixedRate"]').innerText(), /between 0 and 1/);
    await form.locator('input[name="Priority"]').fill('100');
    await form.locator('input[name="FixedRate"]').fill('0.25');
    await form.locator('input[name="ServiceName"]').fill('order-processor');
    await form.locator('[data-testid="save-rule"]').click();
    await page.waitForSelector('[data-testid="rule-row"][data-rule="console-orders"]');
    let rules = (await server.xray('/GetSamplingRules', {})).body.SamplingRuleRecords.map((r) => r.SamplingRule);
    let rule = rules.find((r) => r.RuleName === 'console-orders');
    assert.deepEqual([rule.Priority, rule.FixedRate, rule.ServiceName, rule.ReservoirSize], [100, 0.25, 'order-processor', 1]);
    await page.locator('[data-testid="rule-row"][data-rule="console-orders"] button', { hasText: 'Edit' }).click();
    await form.locator('input[name="ReservoirSize"]').fill('7');
    await form.locator('[data-testid="save-rule"]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="rule-row"][data-rule="console-orders"]')?.textContent.includes('7/s'));
    rules = (await server.xray('/GetSamplingRules', {})).body.SamplingRuleRecords.map((r) => r.SamplingRule);
    assert.equal(rules.find((r) => r.RuleName === 'console-orders').ReservoirSize, 7);
    await page.locator('[data-testid="rule-row"][data-rule="console-orders"] button', { hasText: 'Delete' }).click();
    await page.waitForSelector('[data-testid="rule-row"][data-rule="console-orders"]', { state: 'detached' });
    rules = (await server.xray('/GetSamplingRules', {})).body.SamplingRuleRecords.map((r) => r.SamplingRule);
    assert.equal(rules.find((r) => r.RuleName === 'console-orders'), undefined);
  });
});

test('a new trace appears in the list without a reload', async () => {
  await withShot('live_refresh', async () => {
    await open('traces?range=15m&filter=' + encodeURIComponent('service("live-check")'));
    await page.evaluate(() => (window.__noReload = true));
    await page.waitForSelector('[data-testid="trace-count"]');
    const t = simpleTrace({ service: 'live-check', seconds: 0.05, start: Date.now() / 1000 - 0.2 });
    await server.putSegments(t.documents);
    await page.waitForSelector(`[data-testid="trace-row"][data-trace-id="${t.id}"]`, { timeout: 15000 });
    assert.equal(await page.evaluate(() => window.__noReload), true);
  });
});

test('the comparison view names the annotation of an injected slow path', async () => {
  await withShot('analytics', async () => {
    const docs = [];
    const regions = ['eu', 'us', 'ap'];
    for (let i = 0; i < 60; ++i) {
      const slow = i % 4 === 0;
      const t = simpleTrace({
        service: 'checkout-svc',
        seconds: slow ? 1.5 + (i % 3) * 0.1 : 0.1 + (i % 5) * 0.02,
        annotations: { path: slow ? 'legacy_pricing' : 'cached_pricing', region: regions[i % 3], retried: i % 5 === 0 },
        start: Date.now() / 1000 - 60 - i,
      });
      docs.push(...t.documents);
    }
    await server.putSegments(docs);
    const selection = 'service("checkout-svc") AND responsetime > 1';
    const baseline = 'service("checkout-svc")';
    await open(`analytics?range=15m&selection=${encodeURIComponent(selection)}&baseline=${encodeURIComponent(baseline)}`);
    await page.waitForSelector('[data-testid="difference"]');
    const top = page.locator('[data-testid="difference"]').first();
    assert.equal(await top.getAttribute('data-field'), 'annotation.path');
    assert.equal(await top.getAttribute('data-value'), 'legacy_pricing');
    assert.match(await page.locator('[data-testid="compare-counts"]').innerText(), /selection 15 traces.*baseline 45 traces/);
  });
});

test('a trace of 10,000 segments opens and scrolls', async () => {
  await withShot('big_trace', async () => {
    const t = bigTrace(100, 99);
    await server.putSegments(t.documents, 20);
    const started = Date.now();
    await open(`trace/${t.id}`);
    await page.waitForFunction(() => document.body.dataset.traceRendered === '10000', null, { timeout: 30000 });
    const opened = Date.now() - started;
    assert.equal(await page.locator('[data-testid="waterfall"]').getAttribute('data-rows'), '10000');
    // Virtualised: only the rows in view are in the DOM.
    const inDom = await page.locator('[data-testid="wf-row"]').count();
    assert.ok(inDom > 10 && inDom < 200, `${inDom} rows in the DOM`);
    await page.locator('[data-testid="waterfall"]').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForSelector('[data-testid="wf-row"][data-index="9999"]');
    await page.locator('[data-testid="waterfall"]').evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    await page.waitForSelector('[data-testid="wf-row"][data-index="5000"]');
    console.log(`# 10,000-entity trace opened in ${opened} ms (bench/console_trace_bench.mjs measures it)`);
  });
});

test('a dashboard from the recipe put-dashboard body shows two charts with data points', async () => {
  const body = {
    widgets: [
      {
        type: 'metric', width: 12, height: 6,
        properties: {
          metrics: [['AWS/X-Ray', 'TracesReceived'], ['AWS/X-Ray', 'TracesScanned'], ['AWS/X-Ray', 'LatencyHigh']],
          period: 300, stat: 'Sum', region: 'us-east-1', title: 'X-Ray Trace Metrics',
        },
      },
      {
        type: 'metric', width: 12, height: 6,
        properties: {
          metrics: [
            ['AWS/Lambda', 'Duration', 'FunctionName', 'xray-monitoring-order-processor'],
            ['AWS/Lambda', 'Errors', 'FunctionName', 'xray-monitoring-order-processor'],
            ['AWS/Lambda', 'Throttles', 'FunctionName', 'xray-monitoring-order-processor'],
          ],
          period: 300, stat: 'Average', region: 'us-east-1', title: 'Lambda Function Metrics',
        },
      },
    ],
  };
  const put = await server.cloudwatch('PutDashboard', { DashboardName: 'xray-monitoring-xray-monitoring', DashboardBody: JSON.stringify(body) });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  await withShot('dashboard', async () => {
    await open('dashboards?range=15m');
    await page.getByRole('link', { name: 'xray-monitoring-xray-monitoring' }).click();
    const widgets = page.locator('[data-testid="metric-widget"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="metric-widget"]').length === 2);
    assert.deepEqual(await widgets.evaluateAll((els) => els.map((e) => e.dataset.title)), ['X-Ray Trace Metrics', 'Lambda Function Metrics']);
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-testid="metric-widget"]')].every((e) => Number(e.dataset.points) > 0),
      null,
      { timeout: 40000 },
    );
    // each chart is drawn (uPlot's canvas)
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="metric-widget"] canvas').length >= 2);
  });
});

// The dashboard and alarm pages against CloudWatch answers in AWS's own awsJson1_0 shapes,
// served by a stub in the browser (page.route): what the console sends (the "..." shorthand,
// per-metric options) and how it draws what AWS would answer. The tests above and below check
// the same pages against the server.
test('dashboard and alarm pages render AWS-shaped CloudWatch answers (stubbed)', async () => {
  await withShot('dashboard_stub', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = {
      widgets: [
        { type: 'metric', x: 0, y: 0, width: 12, height: 6, properties: { title: 'Lambda Duration', stat: 'Average', period: 60,
          metrics: [['AWS/Lambda', 'Duration', 'FunctionName', 'xray-monitoring-order-processor'], ['...', 'xray-monitoring-inventory-manager', { label: 'inventory' }]] } },
        { type: 'metric', x: 12, y: 0, width: 12, height: 6, properties: { title: 'Errors', stat: 'Sum', period: 60, metrics: [['AWS/Lambda', 'Errors', 'FunctionName', 'xray-monitoring-order-processor']] } },
        { type: 'text', x: 0, y: 6, width: 24, height: 2, properties: { markdown: '# Orders' } },
      ],
    };
    const seen = [];
    await page.route(server.url + '/', async (route) => {
      const request = route.request();
      const target = (await request.headerValue('x-amz-target')) ?? '';
      const op = target.split('.').pop();
      const input = request.postDataJSON();
      seen.push({ op, input, contentType: await request.headerValue('content-type') });
      const reply = (o) => route.fulfill({ status: 200, contentType: 'application/x-amz-json-1.0', body: JSON.stringify(o) });
      if (op === 'ListDashboards') return reply({ DashboardEntries: [{ DashboardName: 'stubbed', DashboardArn: 'arn:aws:cloudwatch::000000000000:dashboard/stubbed', LastModified: now, Size: 100 }] });
      if (op === 'GetDashboard') return reply({ DashboardName: 'stubbed', DashboardArn: 'arn', DashboardBody: JSON.stringify(body) });
      if (op === 'GetMetricData') {
        return reply({
          MetricDataResults: input.MetricDataQueries.map((q, i) => ({ Id: q.Id, Label: q.Label, StatusCode: 'Complete', Timestamps: [now - 180, now - 120, now - 60], Values: [1 + i, 2 + i, 3 + i] })),
          Messages: [],
        });
      }
      if (op === 'DescribeAlarms') {
        return reply({ MetricAlarms: [{ AlarmName: 'order-errors', StateValue: 'ALARM', StateReason: 'Threshold Crossed', StateUpdatedTimestamp: now - 30, Namespace: 'AWS/Lambda', MetricName: 'Errors', Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, Threshold: 5, ComparisonOperator: 'GreaterThanThreshold' }], CompositeAlarms: [] });
      }
      if (op === 'DescribeAlarmHistory') return reply({ AlarmHistoryItems: [{ AlarmName: 'order-errors', Timestamp: now - 30, HistoryItemType: 'StateUpdate', HistorySummary: 'Alarm updated from OK to ALARM' }] });
      return route.fulfill({ status: 400, contentType: 'application/x-amz-json-1.0', body: JSON.stringify({ __type: 'InvalidAction', message: op }) });
    });
    try {
      await open('dashboards?range=15m');
      await page.getByRole('link', { name: 'stubbed' }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="metric-widget"]')].length === 2 && [...document.querySelectorAll('[data-testid="metric-widget"]')].every((e) => Number(e.dataset.points) > 0));
      assert.equal(await page.locator('[data-testid="metric-widget"]').first().getAttribute('data-points'), '6');
      // each chart is drawn (uPlot's canvas)
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="metric-widget"] canvas').length >= 2);
      const query = seen.find((x) => x.op === 'GetMetricData' && x.input.MetricDataQueries.length === 2).input;
      assert.equal(seen[0].contentType, 'application/x-amz-json-1.0');
      // "..." repeats the namespace, metric and dimension name of the line before.
      assert.deepEqual(query.MetricDataQueries[1].MetricStat, {
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'FunctionName', Value: 'xray-monitoring-inventory-manager' }] },
        Period: 60,
        Stat: 'Average',
      });
      assert.equal(query.MetricDataQueries[1].Label, 'inventory');
      await page.screenshot({ path: path.join(shots, 'dashboard_stub_charts.png') });
      await open('alarms');
      await page.locator('[data-testid="alarm-row"]').first().waitFor();
      assert.match(await page.locator('[data-testid="alarm-row"]').first().innerText(), /ALARM[\s\S]*order-errors[\s\S]*Errors Sum\/300s > 5/);
      await page.getByRole('button', { name: 'order-errors' }).click();
      await page.locator('[data-testid="alarm-history"] li').first().waitFor();
      assert.match(await page.locator('[data-testid="alarm-history"]').innerText(), /OK to ALARM/);
    } finally {
      await page.unroute(server.url + '/');
    }
  });
});

// One order of the demo's shape as PutTraceSegments documents (gateway -> order-processor ->
// inventory-manager and notification-service); `fault` makes inventory-manager the root cause.
function orderDocuments(start, fault) {
  const trace = traceId(start);
  const id = {};
  for (const k of ['gw', 'gwCall', 'op', 'invCall', 'notifCall', 'inv', 'notif']) id[k] = segmentId();
  const invEnd = start + 0.15;
  const notifEnd = invEnd + 0.03;
  const opEnd = notifEnd + 0.01;
  const http = (code) => ({ request: { method: 'POST', url: 'https://example/invoke' }, response: { status: code } });
  const gateway = { trace_id: trace, id: id.gw, name: GATEWAY, origin: 'AWS::ApiGateway::Stage', start_time: start, end_time: opEnd + 0.01,
    http: http(fault ? 502 : 200), subsegments: [{ id: id.gwCall, name: 'order-processor', start_time: start + 0.005, end_time: opEnd + 0.005, http: http(fault ? 502 : 200) }] };
  const processor = { trace_id: trace, id: id.op, name: 'order-processor', origin: 'AWS::Lambda::Function', parent_id: id.gwCall, start_time: start + 0.01, end_time: opEnd,
    subsegments: [
      { id: id.invCall, name: 'inventory-manager', start_time: start + 0.015, end_time: invEnd + 0.005, http: http(fault ? 500 : 200) },
      { id: id.notifCall, name: 'notification-service', start_time: invEnd, end_time: notifEnd + 0.005, http: http(200) }] };
  const inventory = { trace_id: trace, id: id.inv, name: 'inventory-manager', origin: 'AWS::Lambda::Function', parent_id: id.invCall, start_time: start + 0.02, end_time: invEnd };
  if (fault) {
    gateway.fault = processor.fault = inventory.fault = true;
    gateway.subsegments[0].fault = processor.subsegments[0].fault = true;
    inventory.cause = { exceptions: [{ id: segmentId(), type: 'InjectedFault', message: 'injected by the test' }] };
  }
  const notification = { trace_id: trace, id: id.notif, name: 'notification-service', origin: 'AWS::Lambda::Function', parent_id: id.notifCall, start_time: invEnd + 0.002, end_time: notifEnd };
  return [gateway, processor, inventory, notification];
}

// Insights found by the server itself (a second server, so that its history stays apart from
// the demo's): 98 minutes of orders loaded with past timestamps, 30 % of them faulting in
// inventory-manager during 12 of those minutes (as tests/clients/test_insights.py).
test('the insight list and detail show a fault insight the server found in its history', async () => {
  const history = new Server();
  await history.start(['--quiet-period', '200ms', '--insights-evaluate-interval', '1s']);
  try {
    const update = await history.xray('/UpdateGroup', { GroupName: 'Default', InsightsConfiguration: { InsightsEnabled: true, NotificationsEnabled: false } });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    const now = Date.now() / 1000;
    const firstMinute = Math.floor(now / 60) - 2 - 98;
    const docs = [];
    for (let offset = 0; offset < 98; ++offset) {
      const faulting = offset >= 60 && offset < 72;
      for (let i = 0; i < 20; ++i) docs.push(...orderDocuments((firstMinute + offset) * 60 + i * 2.5 + 0.5, faulting && [0, 3, 6].includes(i % 10)));
    }
    await history.putSegments(docs, 400);
    let insight;
    for (const deadline = Date.now() + 60000; !insight && Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const r = await history.xray('/InsightSummaries', { GroupName: 'Default', StartTime: now - 3 * 3600, EndTime: now + 60 });
      insight = (r.body.InsightSummaries ?? []).find((x) => x.State === 'CLOSED');
    }
    assert.ok(insight, 'the server found no insight in time');
    await withShot('insights', async () => {
      await page.goto(`${history.url}/console/insights?range=3h&live=0`);
      const row = page.locator('[data-testid="insight-row"]').first();
      await row.waitFor();
      assert.equal(await page.locator('[data-testid="insight-row"]').count(), 1);
      assert.match(await row.innerText(), /CLOSED[\s\S]*inventory-manager[\s\S]*72 \/ 240/);
      await page.getByRole('link', { name: insight.Summary }).click();
      await page.locator('[data-testid="insight-detail"]').waitFor();
      await page.locator('[data-testid="insight-events"] li').first().waitFor();
      const events = (await history.xray('/InsightEvents', { InsightId: insight.InsightId })).body.InsightEvents;
      assert.equal(await page.locator('[data-testid="insight-events"] li').count(), events.length);
      await page.waitForSelector(`[data-testid="impact-graph"] li[data-edge="${GATEWAY} -> order-processor"]`, { state: 'attached' });
      await page.waitForSelector('[data-testid="impact-graph"] li[data-edge="order-processor -> inventory-manager"]', { state: 'attached' });
    });
  } finally {
    await page.goto('about:blank').catch(() => {});  // nothing left polling the stopped server
    await history.stop();
  }
});

// An alarm of the server's own: created with PutMetricAlarm, moved with SetAlarmState; the page
// shows its state, its metric and threshold, and the history the server recorded.
test('the alarms page shows an alarm state and history from the server', async () => {
  const put = await server.cloudwatch('PutMetricAlarm', {
    AlarmName: 'xray-monitoring-high-error-rate', AlarmDescription: 'High error rate detected in X-Ray traces',
    MetricName: 'ErrorTraces', Namespace: 'XRay/Analysis', Statistic: 'Sum', Period: 300, Threshold: 5,
    ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 2,
  });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  const set = await server.cloudwatch('SetAlarmState', { AlarmName: 'xray-monitoring-high-error-rate', StateValue: 'ALARM', StateReason: 'set by the console test' });
  assert.equal(set.status, 200, JSON.stringify(set.body));
  await withShot('alarms', async () => {
    await open('alarms?live=0');
    const row = page.locator('[data-testid="alarm-row"]', { hasText: 'xray-monitoring-high-error-rate' });
    await row.waitFor();
    assert.match(await row.innerText(), /ALARM[\s\S]*xray-monitoring-high-error-rate[\s\S]*ErrorTraces Sum\/300s > 5/);
    await page.getByRole('button', { name: 'xray-monitoring-high-error-rate' }).click();
    await page.locator('[data-testid="alarm-history"] li').first().waitFor();
    assert.match(await page.locator('[data-testid="alarm-history"]').innerText(), /to ALARM/);
  });
  const deleted = await server.cloudwatch('DeleteAlarms', { AlarmNames: ['xray-monitoring-high-error-rate'] });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
});

test('no uncaught page errors', () => {
  assert.deepEqual(errors, []);
});
