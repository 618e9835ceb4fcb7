// Child process of stream-optimisation.test.ts (run with --trace-opt): admitted streams through
// the host's whole stream path (newStream, request headers, response headers, finish) with the
// hot-path fixture module, so the parent can read from V8's trace whether that path got optimised.
// Args: <hotpath.wasm> <streams>.
import { EnvoyProcess, HeaderMap } from '../../../wasm-host';

const [wasm, count] = [process.argv[2], Number(process.argv[3])];
const envoy = new EnvoyProcess({ concurrency: 1 });
const filter = envoy.addHttpFilter({ name: 'hot', vmId: 'hot', wasm });
const users = 64;
for (let i = 0; i < users; i++) envoy.sharedData.set('hot', `u${i}`, new Uint8Array(32).fill(0x61));
const headers = Array.from({ length: users }, (_, i) =>
  HeaderMap.from({ ':method': 'GET', ':path': '/x', ':authority': 'svc', 'x-user': `u${i}` }),
);
const response = HeaderMap.from({ ':status': '200' });
const mask = users - 1;
let routed = 0;
for (let i = 0; i < count; i++) {
  const s = filter.newStream(0);
  s.sendRequestHeaders(headers[i & mask], true);
  s.sendResponseHeaders(response, true);
  s.finish();
  if (i === count - 1 && s.requestHeaders.get('x-earmark-instance') !== undefined) routed++;
}
console.log(`STREAMS ${count} ROUTED ${routed}`);
void envoy.close();
