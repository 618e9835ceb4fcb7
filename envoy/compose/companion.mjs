// A sample companion instance: answers every request with who it is and whom it served, after a
// little simulated work. With CONTROL_PLANE_URL set it registers itself (PUT /v1/instances/{id},
// retried until the control plane answers) and reports its load every 10 s, so the control plane
// can reserve capacity on it and route users to INSTANCE_ADDRESS (ip:port, for ORIGINAL_DST).
import { createServer } from 'node:http';
import { setInterval, setTimeout } from 'node:timers';

const id = process.env.INSTANCE_ID ?? 'companion';
const port = Number(process.env.PORT ?? 8080);
const workMs = Number(process.env.WORK_MS ?? 20);
const controlPlane = process.env.CONTROL_PLANE_URL; // e.g. http://earmark-control-plane:8080
const apiToken = process.env.API_TOKEN ?? '';
const address = process.env.INSTANCE_ADDRESS ?? `127.0.0.1:${port}`;
const instanceClass = process.env.INSTANCE_CLASS ?? 'standard';
const slots = Number(process.env.SLOTS ?? 200);
let inFlight = 0;
let served = 0;
let bytesOut = 0;

createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  inFlight++;
  setTimeout(() => {
    const body =
      JSON.stringify({ instance: id, user: req.headers['x-earmark-user'] ?? null, path: req.url }) + '\n';
    res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': id }).end(body);
    inFlight--;
    served++;
    bytesOut += body.length;
  }, workMs);
}).listen(port, () => console.log(`${id}: listening on :${port}`));

async function api(method, path, body) {
  const r = await fetch(`${controlPlane}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiToken}` },
    body: JSON.stringify(body),
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
}

async function register() {
  const capacity = { slots, cpuMillicores: 2000, memoryMb: 2048, bandwidthKbps: 100000 };
  for (let attempt = 1; ; attempt++) {
    try {
      await api('PUT', `/v1/instances/${encodeURIComponent(id)}`, { address, instanceClass, capacity });
      console.log(`${id}: registered as ${address} (class ${instanceClass})`);
      return;
    } catch (err) {
      if (attempt % 10 === 1) console.error(`${id}: registration failed, retrying: ${err.message}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

if (controlPlane) {
  const everyMs = 10_000;
  register().then(() =>
    setInterval(async () => {
      // A rough load model: CPU follows requests served, memory a base plus in-flight work.
      const sample = {
        cpuMillicores: Math.round((served * workMs) / (everyMs / 1000)),
        memoryMb: 64 + inFlight,
        bandwidthKbps: Math.round((bytesOut * 8) / everyMs),
        inFlight,
      };
      served = 0;
      bytesOut = 0;
      try {
        await api('POST', `/v1/instances/${encodeURIComponent(id)}/load`, { samples: [sample] });
      } catch (err) {
        console.error(`${id}: load report failed: ${err.message}`);
      }
    }, everyMs),
  );
}
