// AssemblyScript's abort handler (wired with --use abort=... in asconfig.json). The default one
// imports env.abort, which Envoy does not provide, so the module would not load. This one logs the
// message through proxy_log at critical level, then traps: Envoy marks the VM failed and applies
// the plugin's fail_open setting. It allocates nothing (memory may be what ran out).
import { proxy_log } from '../abi/imports/env';

const BUF_BYTES: i32 = 512;
const buf: usize = memory.data(BUF_BYTES);

function put(pos: i32, s: string | null): i32 {
  if (s === null) return pos;
  const p = changetype<usize>(s);
  const n = s.length;
  for (let i = 0; i < n && pos < BUF_BYTES; i++) {
    const c = load<u16>(p + ((<usize>i) << 1));
    store<u8>(buf + <usize>pos, c < 0x80 ? <u8>c : 0x3f);
    pos++;
  }
  return pos;
}

function putNumber(pos: i32, v: u32): i32 {
  let digits = 1;
  let t = v;
  while (t >= 10) {
    t /= 10;
    digits++;
  }
  if (pos + digits > BUF_BYTES) return pos;
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(buf + <usize>(pos + i), <u8>(0x30 + (v % 10)));
    v /= 10;
  }
  return pos + digits;
}

export function earmarkAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let pos = put(0, 'earmark: aborted: ');
  pos = put(pos, message);
  pos = put(pos, ' at ');
  pos = put(pos, fileName);
  pos = put(pos, ':');
  pos = putNumber(pos, line);
  pos = put(pos, ':');
  pos = putNumber(pos, column);
  proxy_log(5, buf, <usize>pos);
  unreachable();
}
