/**
 * The Grafana dashboard (control-plane/api/grafana/earmark.json): importable as exported for
 * sharing, every query names retention policies and measurements of the store's schema module and
 * fields or tags the store really writes, and every query runs on a real influxd holding data
 * written by the store, returning rows.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MEASUREMENTS, RETENTION_POLICIES, Store, silentLogger } from '../../../control-plane/store';
import { testInflux, uniqueDb } from '../../support/influx';
import { samples, writtenSchema, type MeasurementShape } from './support/store-schema';

const FILE = path.join(__dirname, '../../../control-plane/api/grafana/earmark.json');

interface Query {
  where: string;
  text: string;
  format?: string;
}

function queriesOf(dash: any): Query[] {
  const out: Query[] = [];
  for (const p of dash.panels) {
    for (const t of p.targets ?? [])
      out.push({ where: `panel "${p.title}" ${t.refId}`, text: t.query, format: t.resultFormat });
  }
  for (const v of dash.templating.list)
    if (v.type === 'query') out.push({ where: `variable $${v.name}`, text: v.query });
  return out;
}

/** Grafana's macros and this dashboard's variables, as Grafana would expand them. */
function expand(q: string, vars: Record<string, string>): string {
  return q
    .replace(/\$timeFilter/g, 'time > now() - 1d')
    .replace(/\$__interval/g, '1m')
    .replace(/\$(\w+)/g, (m, name) => vars[name] ?? m);
}

describe('api: the Grafana dashboard', function () {
  this.timeout(60_000);
  const dash = JSON.parse(fs.readFileSync(FILE, 'utf8'));
  const now = Date.now();
  const data = samples(now);
  const schema = writtenSchema(data);

  it('is importable: a datasource input, a uid, panels with grid positions and raw InfluxQL targets', () => {
    assert.deepEqual(
      dash.__inputs.map((i: { name: string; pluginId: string }) => [i.name, i.pluginId]),
      [['DS_EARMARK', 'influxdb']],
    );
    assert.equal(dash.uid, 'earmark-overview');
    // Provisioned from the file as is (docker-compose), ${DS_EARMARK} must resolve without an import:
    // a datasource variable of that name does it.
    const dsVar = dash.templating.list.find((v: { name: string }) => v.name === 'DS_EARMARK');
    assert.deepEqual([dsVar?.type, dsVar?.query], ['datasource', 'influxdb']);
    const ids = new Set<number>();
    for (const p of dash.panels) {
      assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
      ids.add(p.id);
      for (const k of ['x', 'y', 'w', 'h'])
        assert.equal(typeof p.gridPos[k], 'number', `${p.title} gridPos.${k}`);
      if (p.type === 'row') continue;
      assert.equal(p.datasource.uid, '${DS_EARMARK}', p.title);
      assert.ok(p.targets.length > 0, p.title);
      for (const t of p.targets) assert.equal(t.rawQuery, true, p.title);
    }
    const titles = dash.panels.map((p: { title: string }) => p.title).join(' | ');
    for (const topic of ['decision', 'Forecast', 'per instance', 'Proxies', 'Scaling'])
      assert.match(titles, new RegExp(topic));
  });

  it('references only retention policies, measurements, fields and tags the store writes', () => {
    const rps = new Set<string>(Object.values(RETENTION_POLICIES).map((r) => r.name));
    const measurements = new Set<string>(Object.values(MEASUREMENTS));
    const queries = queriesOf(dash);
    assert.ok(queries.length >= 15);
    for (const q of queries) {
      const from = [...q.text.matchAll(/"(\w+)"\."(\w+)"/g)];
      assert.ok(from.length > 0, `${q.where}: no "rp"."measurement"`);
      const shapes: MeasurementShape[] = [];
      for (const [, rp, m] of from) {
        assert.ok(rps.has(rp), `${q.where}: unknown retention policy ${rp}`);
        assert.ok(measurements.has(m), `${q.where}: ${m} is not in the store's schema`);
        const shape = schema.get(m);
        assert.ok(shape, `${q.where}: the store never writes ${m}`);
        assert.equal(shape.rp, rp, `${q.where}: ${m} lives in ${shape.rp}`);
        shapes.push(shape);
      }
      const aliases = new Set([...q.text.matchAll(/ AS "([^"]+)"/g)].map((m) => m[1]));
      const known = new Set(shapes.flatMap((s) => [...s.fields, ...s.tags]));
      const quoted = q.text.replace(/"\w+"\."\w+"/g, '').replace(/ AS "[^"]+"/g, '');
      for (const [, id] of quoted.matchAll(/"([^"]+)"/g)) {
        assert.ok(
          known.has(id) || aliases.has(id),
          `${q.where}: "${id}" is neither a field nor a tag of ${from.map((f) => f[2]).join(', ')}`,
        );
      }
    }
  });

  it('runs every query on influxd over data the store wrote, and each returns rows', async () => {
    const influx = await testInflux();
    const database = uniqueDb('grafana');
    const spool = fs.mkdtempSync(path.join(os.tmpdir(), 'earmark-grafana-'));
    const store = await Store.open({ url: influx.url, database, spoolDir: spool, log: silentLogger });
    try {
      await store.schemaReady;
      await Promise.all([
        ...data.reports.map((r) => store.writeUsage(r)),
        store.writeForecasts(data.forecast),
        store.writePlan(data.plan),
        store.writeInstanceLoad(data.loads),
        store.writeContexts(data.contexts),
        store.writeProfiles(data.profiles),
        store.writeEvents(data.events),
      ]);
      await store.flush();
      await store.backfillRollups(now - 2 * 3_600_000, now + 3_600_000);
      const vars = { user: 'alice', instance: 'inst-0', node: 'envoy-a', horizon: '1' };
      for (const q of queriesOf(dash)) {
        const text = expand(q.text, vars);
        const res = await fetch(`${influx.url}/query?db=${database}&epoch=ms&q=${encodeURIComponent(text)}`);
        const body = await res.json();
        const result = body.results?.[0];
        assert.equal(result?.error, undefined, `${q.where}: ${result?.error}\n${text}`);
        assert.ok(
          (result?.series ?? []).some((s: { values: unknown[][] }) => s.values.length > 0),
          `${q.where} returned no rows:\n${text}`,
        );
      }
    } finally {
      await store.close();
      fs.rmSync(spool, { recursive: true, force: true });
    }
  });
});
