// A sample companion instance: answers every request with who it is and whom it served, after a
// little simulated work, and reports its load to InfluxDB in line protocol (as Telegraf would).
import { createServer } from 'node:http';
import { setInterval, setTimeout } from 'node:timers';

const id = process.env.INSTANCE_ID ?? 'companion';
const port = Number(process.env.PORT ?? 8080);
const workMs = Number(process.env.WORK_MS ?? 20);
const influx = process.env.INFLUX_URL; // e.g. http://influxdb:8086
const db = process.env.INFLUX_DATABASE ?? 'earmark';
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

if (influx) {
  const everyMs = 10_000;
  setInterval(async () => {
    // A rough load model: CPU follows requests served, memory a base plus in-flight work.
    const cpu = Math.round((served * workMs) / (everyMs / 1000));
    const line = `instance_load,instance=${id} cpu_millicores=${cpu},memory_mb=${64 + inFlight},bandwidth_kbps=${Math.round((bytesOut * 8) / everyMs)},in_flight=${inFlight}i`;
    served = 0;
    bytesOut = 0;
    try {
      const r = await fetch(`${influx}/write?db=${encodeURIComponent(db)}&precision=ms`, {
        method: 'POST',
        body: `${line} ${Date.now()}`,
      });
      if (!r.ok) console.error(`${id}: InfluxDB answered ${r.status}`);
    } catch (err) {
      console.error(`${id}: cannot reach InfluxDB: ${err.message}`);
    }
  }, everyMs);
}
