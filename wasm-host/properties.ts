// proxy_get_property path resolution (envoy common/wasm/context.cc getProperty/findValue and
// filters/common/expr/context.h): the path is NUL-separated segments; the top-level name is one of
// Envoy's activation names (request, response, source, destination, connection, xds, ...) or
// plugin_name / plugin_root_id / plugin_vm_id / connection_id, else filter state "wasm.<name>"
// written by proxy_set_property. Values use Envoy's native serialization: strings as bytes,
// integers as 8 little-endian bytes, booleans as 1 byte, maps as header pairs.

import type { Context } from './context';

export const str = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

export const int64 = (n: number | bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
  return b;
};

/** Minimal protobuf writer for the Node message (id = 1, cluster = 2). */
const protoStrings = (fields: Array<[number, string]>): Uint8Array => {
  const parts: number[] = [];
  for (const [num, value] of fields) {
    if (value === '') continue;
    const bytes = Buffer.from(value, 'utf8');
    parts.push((num << 3) | 2);
    let n = bytes.length;
    while (n > 0x7f) {
      parts.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    parts.push(n);
    parts.push(...bytes);
  }
  return new Uint8Array(parts);
};

/** Undefined = NOT_FOUND; null = SERIALIZATION_FAILURE. */
export const getProperty = (ctx: Context, parts: string[]): Uint8Array | undefined | null => {
  if (parts.length === 0) return null;
  const [top, ...rest] = parts;
  const plugin = ctx.plugin ?? ctx.root.plugin;
  const leaf = (v: Uint8Array): Uint8Array | undefined => (rest.length === 0 ? v : undefined);
  switch (top) {
    case 'plugin_name':
      return plugin ? leaf(str(Buffer.from(plugin.name).toString('latin1'))) : undefined;
    case 'plugin_root_id':
      return leaf(str(Buffer.from(plugin?.rootId ?? '').toString('latin1')));
    case 'plugin_vm_id':
      return leaf(str(ctx.vm.code.vmIdRaw));
    case 'xds': {
      if (rest[0] === 'node') {
        const node = ctx.vm.proc.node;
        if (rest.length === 1)
          return protoStrings([
            [1, node.id],
            [2, node.cluster],
          ]);
        if (rest.length === 2 && rest[1] === 'id') return str(Buffer.from(node.id).toString('latin1'));
        if (rest.length === 2 && rest[1] === 'cluster')
          return str(Buffer.from(node.cluster).toString('latin1'));
        return undefined;
      }
      return ctx.stream?.getProperty(parts);
    }
    default:
      return ctx.stream?.getProperty(parts);
  }
};
