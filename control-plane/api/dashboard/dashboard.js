/**
 * The Earmark dashboard: plain browser script over the /v1 API, charts drawn with uPlot (served from
 * its npm package). The token comes from the URL fragment (#token=..., never sent to the server),
 * is kept in sessionStorage and sent as a bearer header on every data call.
 * window.earmarkDashboard exposes the charts and load counters for the browser test.
 */
(function () {
  'use strict';
  const uPlot = window.uPlot;
  const TOKEN_KEY = 'earmark-token';
  const REFRESH_MS = 15000;
  const FORECAST_AHEAD_MS = 30 * 60000;
  const COLORS = { actual: '#1d2330', band: 'rgba(46, 144, 250, 0.18)', mid: '#2e90fa', hi: '#7a5af8' };
  const DECISIONS = [
    ['reserved', '#12b76a'],
    ['queued', '#f79009'],
    ['redirected', '#7a5af8'],
    ['throttled', '#f04438'],
  ];

  const state = { token: null, user: null, resource: 'requests', charts: {}, loads: 0, errors: [] };
  window.earmarkDashboard = state;

  const $ = (id) => document.getElementById(id);
  const apiUrl = (path) => new window.URL('../' + path.replace(/^\//, ''), window.location.href).toString();

  function readToken() {
    const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (m) {
      window.sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
      // Drop the token from the address bar and history.
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    return window.sessionStorage.getItem(TOKEN_KEY);
  }

  function askToken() {
    $('token-form').hidden = false;
    $('panels').hidden = true;
  }

  function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').className = isError ? 'error' : '';
  }

  async function api(path) {
    const res = await fetch(apiUrl(path), { headers: { authorization: 'Bearer ' + state.token } });
    const body = await res.json().catch(() => undefined);
    if (res.status === 401) askToken();
    if (!res.ok) {
      const e = new Error((body && body.error && body.error.message) || res.statusText);
      e.code = body && body.error && body.error.code;
      throw e;
    }
    return body;
  }

  /** api(), but a 404 (no plan yet, no forecast) is an empty answer rather than an error. */
  async function maybe(path) {
    try {
      return await api(path);
    } catch (e) {
      if (/_NOT_FOUND$/.test(e.code || '')) return undefined;
      throw e;
    }
  }

  const fmtTime = (ms) => new Date(ms).toLocaleString();
  const sec = (ms) => ms / 1000;

  function chart(id, opts, data) {
    const el = $(id);
    const width = Math.max(320, el.clientWidth || 600);
    if (state.charts[id]) state.charts[id].destroy();
    state.charts[id] = new uPlot({ width, height: 260, ...opts }, data, el);
    return state.charts[id];
  }

  function renderPlan(plan) {
    $('plan-version').textContent = plan ? plan.version : 'none yet';
    $('plan-issued').textContent = plan ? fmtTime(plan.issuedAtMs) : '–';
    $('plan-users').textContent = plan ? String(plan.users) : '–';
    $('plan-instances').textContent = plan ? String(plan.instances) : '–';
    $('plan-squeezed').textContent = plan ? String(plan.squeezedCount) : '–';
  }

  function renderProxies(list) {
    const body = $('proxies-table').tBodies[0];
    body.replaceChildren();
    for (const p of list.items) {
      const tr = document.createElement('tr');
      const cells = [
        [p.nodeId],
        [p.connected ? 'yes' : 'no', p.connected ? 'good' : 'bad'],
        [p.ackedVersion || '–', p.ackedVersion === list.planVersion ? 'good' : 'bad'],
        [String(p.revisionsBehind), p.revisionsBehind > 0 ? 'bad' : ''],
        [p.secondsBehind.toFixed(1), p.secondsBehind > 0 ? 'bad' : ''],
        [String(p.nacks), p.nacks > 0 ? 'bad' : ''],
        [p.lastNack || ''],
      ];
      for (const [text, cls] of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    if (!list.items.length) {
      const tr = body.insertRow();
      const td = tr.insertCell();
      td.colSpan = 7;
      td.textContent = 'No proxy connected.';
    }
  }

  function renderInstances(per) {
    const items = per ? per.items : [];
    const ids = items.map((i) => i.instanceId);
    const xs = items.map((_, i) => i);
    const bars = (align) => uPlot.paths.bars({ size: [0.35, 60], align });
    chart(
      'instances-chart',
      {
        scales: {
          x: { time: false, range: [-0.5, Math.max(0.5, items.length - 0.5)] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
        },
        axes: [
          { values: (_u, splits) => splits.map((i) => (Number.isInteger(i) ? ids[i] || '' : '')) },
          { label: 'slots' },
        ],
        series: [
          {},
          {
            label: 'reserved slots',
            fill: '#2e90fa',
            stroke: '#2e90fa',
            paths: bars(-1),
            points: { show: false },
          },
          {
            label: 'capacity slots',
            fill: '#d0d5dd',
            stroke: '#98a2b3',
            paths: bars(1),
            points: { show: false },
          },
        ],
      },
      [xs, items.map((i) => i.reserved.slots), items.map((i) => (i.capacity ? i.capacity.slots : null))],
    );
  }

  function renderDecisions(series) {
    const pts = series.points;
    chart(
      'decisions-chart',
      {
        series: [{}, ...DECISIONS.map(([label, stroke]) => ({ label, stroke, width: 1.5 }))],
        axes: [{}, { label: 'requests / step' }],
      },
      [pts.map((p) => sec(p.atMs)), ...DECISIONS.map(([k]) => pts.map((p) => p[k]))],
    );
  }

  const ACTUAL_OF = { requests: 'requests', concurrency: 'peakInFlight' };

  function renderForecast(fc, usage) {
    const byTime = new Map();
    const row = (t) => byTime.get(t) || byTime.set(t, { actual: null, q: null }).get(t);
    const actualKey = ACTUAL_OF[state.resource];
    if (usage && actualKey) for (const p of usage.points) row(p.atMs).actual = p[actualKey];
    if (fc) for (const p of fc.points) row(p.atMs).q = p.values;
    const times = [...byTime.keys()].sort((a, b) => a - b);
    const qs = fc ? fc.quantiles : [];
    const lo = 0;
    const hi = Math.max(0, qs.length - 1);
    const mid = qs.length
      ? qs.reduce((best, q, i) => (Math.abs(q - 0.5) < Math.abs(qs[best] - 0.5) ? i : best), 0)
      : 0;
    const qv = (i) => times.map((t) => (byTime.get(t).q ? byTime.get(t).q[i] : null));
    $('forecast-note').textContent = !fc
      ? 'no forecast stored for this user yet'
      : `model ${fc.model || '?'} · band q${qs[lo]}–q${qs[hi]}` +
        (actualKey ? '' : ' · no actual series for this resource');
    // The band runs from the lowest to the highest quantile; the one nearest 0.5 is the dashed line.
    const series = [{}, { label: 'actual', stroke: COLORS.actual, width: 2 }];
    const data = [times.map(sec), times.map((t) => byTime.get(t).actual)];
    const add = (i, s) => {
      series.push({ label: `q${qs[i] ?? ''}`, ...s });
      data.push(qv(i));
      return series.length - 1;
    };
    const low = lo === mid ? -1 : add(lo, { stroke: COLORS.band, width: 1 });
    const median = add(mid, { stroke: COLORS.mid, width: 1.5, dash: [6, 4] });
    const high = hi === mid ? median : add(hi, { stroke: COLORS.hi, width: 1 });
    chart(
      'forecast-chart',
      {
        series,
        bands: [{ series: [high, low < 0 ? median : low], fill: COLORS.band }],
        axes: [{}, { label: state.resource }],
      },
      data,
    );
  }

  async function loadForecast(range) {
    if (!state.user) return renderForecast(undefined, undefined);
    const u = encodeURIComponent(state.user);
    const to = range.toMs + FORECAST_AHEAD_MS;
    const [fc, usage] = await Promise.all([
      maybe(`v1/users/${u}/forecast?resource=${state.resource}&from=${range.fromMs}&to=${to}`),
      maybe(`v1/users/${u}/usage?from=${range.fromMs}&to=${range.toMs}&step=${range.stepMs}`),
    ]);
    renderForecast(fc, usage);
  }

  async function loadUsers() {
    const page = await maybe('v1/plan/reservations?limit=1000');
    const users =
      page && page.items.length
        ? page.items.map((r) => r.user)
        : (await api('v1/users?limit=1000')).items.map((p) => p.user);
    $('user-list').replaceChildren(
      ...users.map((u) => Object.assign(document.createElement('option'), { value: u })),
    );
    const wanted = new window.URLSearchParams(window.location.search).get('user');
    if (!state.user) state.user = wanted || users[0] || null;
    $('user-input').value = state.user || '';
  }

  async function loadAll() {
    try {
      const decisions = await api('v1/decisions');
      const [plan, per, proxies] = await Promise.all([
        maybe('v1/plan'),
        maybe('v1/plan/instances'),
        api('v1/proxies'),
      ]);
      renderPlan(plan);
      renderProxies(proxies);
      renderInstances(per);
      renderDecisions(decisions);
      if (!state.loads) await loadUsers();
      state.range = decisions;
      await loadForecast(decisions);
      state.loads++;
      setStatus('updated ' + new Date().toLocaleTimeString(), false);
    } catch (e) {
      state.errors.push(String(e && e.message));
      setStatus('error: ' + (e && e.message), true);
    }
  }

  function start() {
    state.token = readToken();
    $('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      window.sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
      window.location.reload();
    });
    if (!state.token) return askToken();
    $('user-input').addEventListener('change', () => {
      state.user = $('user-input').value.trim() || null;
      if (state.range) loadForecast(state.range).catch((e) => setStatus('error: ' + e.message, true));
    });
    $('resource-select').addEventListener('change', () => {
      state.resource = $('resource-select').value;
      if (state.range) loadForecast(state.range).catch((e) => setStatus('error: ' + e.message, true));
    });
    window.addEventListener('resize', () => {
      for (const [id, c] of Object.entries(state.charts))
        c.setSize({ width: Math.max(320, $(id).clientWidth), height: 260 });
    });
    loadAll();
    window.setInterval(loadAll, REFRESH_MS);
  }

  start();
})();
