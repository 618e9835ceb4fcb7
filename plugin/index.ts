// Entry point of build/earmark.wasm: the proxy-wasm ABI v0.2.1 exports, and which root context a
// root id gets. root id "earmark_sync" is the sync root (Envoy singleton service); any other root
// id is the HTTP filter root. See plugin/README.md.
import { RootContext, setRootFactory } from './abi/context';
import { allocateForHost } from './abi/memory';
import { FilterRoot } from './filter/root';
import { SyncRoot } from './sync/root';
import './runtime/abort';

const SYNC_ROOT_ID: string = 'earmark_sync';

setRootFactory((id: u32, rootId: string): RootContext => {
  if (rootId == SYNC_ROOT_ID) return new SyncRoot(id, rootId);
  return new FilterRoot(id, rootId);
});

/** Marks the ABI version this module speaks (the host reads the export's name). */
export function proxy_abi_version_0_2_1(): void {}

/** Where the host copies values it returns (see abi/memory.ts). */
export function proxy_on_memory_allocate(size: usize): usize {
  return allocateForHost(size);
}

export {
  proxy_on_context_create,
  proxy_on_vm_start,
  proxy_on_configure,
  proxy_on_tick,
  proxy_on_queue_ready,
  proxy_on_grpc_receive_initial_metadata,
  proxy_on_grpc_receive,
  proxy_on_grpc_close,
  proxy_on_request_headers,
  proxy_on_request_body,
  proxy_on_response_body,
  proxy_on_delete,
} from './abi/callbacks';
