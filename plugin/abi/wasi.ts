// The few WASI calls the filter makes (Envoy provides wasi_snapshot_preview1): randomness for
// jitter and ids, and environment variables (VmConfig.environment_variables) for secrets such as
// the control-plane token, which should not sit in a plugin configuration.
import * as wasi from './imports/wasi_snapshot_preview1';

const word: usize = memory.data(16, 8);

/** 64 random bits from the host (0 if the host refuses). */
export function random64(): u64 {
  store<u64>(word, 0);
  wasi.random_get(word, 8);
  return load<u64>(word);
}

/** The value of environment variable `name`, or null when unset. */
export function getEnv(name: string): string | null {
  if (wasi.environ_sizes_get(word, word + 4) != 0) return null;
  const count = <usize>load<u32>(word);
  const bufSize = <usize>load<u32>(word + 4);
  if (count == 0) return null;
  const ptrs = heap.alloc(count * 4);
  const buf = heap.alloc(bufSize + 1);
  let result: string | null = null;
  if (wasi.environ_get(ptrs, buf) == 0) {
    const prefix = name + '=';
    for (let i: usize = 0; i < count; i++) {
      const p = <usize>load<u32>(ptrs + i * 4);
      if (p < buf || p >= buf + bufSize) continue;
      let end = p;
      while (end < buf + bufSize && load<u8>(end) != 0) end++;
      const entry = String.UTF8.decodeUnsafe(p, end - p);
      if (entry.startsWith(prefix)) {
        result = entry.substring(prefix.length);
        break;
      }
    }
  }
  heap.free(ptrs);
  heap.free(buf);
  return result;
}
