/**
 * The dashboard in Debian's headless Chromium: it reads its token from the URL fragment, loads real
 * data from the API (seeded port behind it), and draws every chart with that data. A screenshot is
 * saved (temp folder, or EARMARK_DASHBOARD_SCREENSHOT) for a person to look at.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startHarness, type Harness } from './support/harness';
import * as seed from './support/seed';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Pixels of one colour (within a tolerance) on a chart's canvas: proof the series was drawn. */
function countColour(page: Page, chartId: string, [r, g, b]: [number, number, number]): Promise<number> {
  return page.evaluate(`(() => {
    const canvas = document.querySelector('#${chartId} canvas');
    const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (Math.abs(px[i] - ${r}) < 12 && Math.abs(px[i + 1] - ${g}) < 12 && Math.abs(px[i + 2] - ${b}) < 12 && px[i + 3] > 200) n++;
    }
    return n;
  })()`) as Promise<number>;
}

const nonNull = (a: unknown[]) => a.filter((v) => v !== null && v !== undefined).length;

describe('api: dashboard in headless Chromium', function () {
  this.timeout(120_000);
  let h: Harness;
  let ctx: BrowserContext;
  let profile: string;
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const from = now - 3 * 3_600_000;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) this.skip();
    h = await startHarness({ nowMs: now });
    const insts = seed.instances(4);
    for (const i of insts) h.state.instances.set(i.id, i);
    h.state.plan = seed.plan(40, insts, now);
    h.state.forecasts.set('user-0000|requests', seed.forecast('user-0000', from, now + 15 * 60_000, 3));
    for (let u = 0; u < 5; u++) h.state.usagePoints.set(`user-000${u}`, seed.usage(from, now, 3 + u));
    h.state.proxyList = [
      {
        nodeId: 'envoy-0',
        connected: true,
        ackedVersion: h.state.plan.version,
        revisionsBehind: 0,
        secondsBehind: 0,
        nacks: 0,
      },
      {
        nodeId: 'envoy-1',
        connected: true,
        ackedVersion: h.state.plan.version,
        revisionsBehind: 0,
        secondsBehind: 0,
        nacks: 0,
      },
      {
        nodeId: 'envoy-2',
        connected: true,
        ackedVersion: 'v6-old',
        revisionsBehind: 3,
        secondsBehind: 42.5,
        nacks: 1,
        lastNack: 'ttl out of range',
      },
    ];
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 1000 },
    });
  });

  after(async () => {
    await ctx?.close();
    await h?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('renders the plan, forecast band against actual, reservations per instance, decisions and proxy lag', async () => {
    const page = await ctx.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${h.url}/dashboard/#token=${h.token}`);
    await page.waitForFunction(
      'window.earmarkDashboard && (window.earmarkDashboard.loads >= 1 || window.earmarkDashboard.errors.length)',
      null,
      {
        timeout: 60_000,
      },
    );
    // A string, not a function: tsx would wrap inner functions in a helper the page does not have.
    const dash = (await page.evaluate(`(() => {
      const d = window.earmarkDashboard;
      const data = (id) => d.charts[id].data.map((s) => Array.from(s));
      return {
        errors: d.errors,
        hash: location.hash,
        user: d.user,
        forecast: data('forecast-chart'),
        instances: data('instances-chart'),
        decisions: data('decisions-chart'),
      };
    })()`)) as {
      errors: string[];
      hash: string;
      user: string;
      forecast: any[][];
      instances: any[][];
      decisions: any[][];
    };
    assert.deepEqual(dash.errors, []);
    assert.deepEqual(consoleErrors, []);
    assert.equal(dash.hash, '', 'the token is dropped from the address bar');

    // Plan facts and the proxy table.
    const plan = h.state.plan!;
    assert.equal(await page.textContent('#plan-version'), plan.version);
    assert.equal(await page.textContent('#plan-users'), String(plan.reservations.size));
    const rows = await page.$$eval('#proxies-table tbody tr', (trs) =>
      trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => [td.textContent, td.className])),
    );
    assert.deepEqual(
      rows.map((r) => r[0][0]),
      ['envoy-0', 'envoy-1', 'envoy-2'],
    );
    assert.deepEqual(rows[2][4], ['42.5', 'bad'], 'the lagging proxy stands out');
    assert.deepEqual(rows[0][2], [plan.version, 'good']);

    // Forecast against actual for the first user: every usage point and every forecast point is plotted.
    assert.equal(dash.user, 'user-0000');
    const fc = h.state.forecasts.get('user-0000|requests')!;
    const usage = h.state.usagePoints.get('user-0000')!;
    const [xs, actual, ...bands] = dash.forecast;
    assert.equal(xs.length, new Set([...fc.points.map((p) => p.atMs), ...usage.map((p) => p.atMs)]).size);
    assert.equal(nonNull(actual), usage.length);
    assert.equal(
      actual.reduce((s: number, v: number | null) => s + (v ?? 0), 0),
      usage.reduce((s, p) => s + p.requests, 0),
    );
    assert.ok(bands.length >= 2, 'at least the median and the top of the band');
    for (const band of bands) assert.equal(nonNull(band), fc.points.length);
    const [low, high] = [bands[0], bands[bands.length - 1]];
    assert.ok(
      low.every((v: number | null, i: number) => v === null || v <= high[i]!),
      'the band is ordered',
    );
    assert.ok((await countColour(page, 'forecast-chart', [46, 144, 250])) > 0, 'median line drawn');
    assert.ok((await countColour(page, 'forecast-chart', [29, 35, 48])) > 0, 'actual line drawn');

    // Reservations per instance: one bar per instance, heights from the plan.
    const reserved = new Map<string, number>();
    for (const r of plan.reservations.values())
      reserved.set(r.instanceId, (reserved.get(r.instanceId) ?? 0) + r.slots);
    assert.deepEqual(
      dash.instances[1],
      [...reserved.keys()].sort().map((id) => reserved.get(id)),
    );
    assert.deepEqual(
      dash.instances[2],
      [...h.state.instances.values()].map((i) => i.capacity.slots),
    );
    assert.ok((await countColour(page, 'instances-chart', [46, 144, 250])) > 0, 'bars drawn');

    // Decisions over time: the four series sum what every user's usage holds.
    const all = [...h.state.usagePoints.values()].flat();
    const [dx, ...series] = dash.decisions;
    assert.equal(dx.length, (now - from) / 60_000);
    ['reserved', 'queued', 'redirected', 'throttled'].forEach((k, i) => {
      const sum = series[i].reduce((s: number, v: number | null) => s + (v ?? 0), 0);
      assert.equal(
        sum,
        all.reduce((s, p) => s + (p as any)[k], 0),
        k,
      );
    });
    assert.ok((await countColour(page, 'decisions-chart', [18, 183, 106])) > 0, 'reserved line drawn');

    const shot =
      process.env.EARMARK_DASHBOARD_SCREENSHOT ??
      path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-shot-')), 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10_000, 'a real image was written');
    console.log(`      screenshot: ${shot}`);
  });

  it('asks for the token when none is given, and shows no data', async () => {
    const page = await ctx.newPage();
    await page.goto(`${h.url}/dashboard/`);
    await page.waitForSelector('#token-form:not([hidden])');
    assert.equal(await page.isHidden('#panels'), true);
  });
});
