// Delta xDS messages (envoy.service.discovery.v3), hand-coded: the fields Earmark uses of
// DeltaDiscoveryRequest (node 1, type_url 2, resource_names_subscribe 3,
// initial_resource_versions 5, response_nonce 6, error_detail 7) and DeltaDiscoveryResponse
// (system_version_info 1, resources 2, type_url 4, nonce 5, removed_resources 6,
// removed_resource_names 8). Decoding validates structure only; reservation.ts validates bodies.
import { ProtoReader, ProtoWriter } from '../lib/protobuf';
import { isValidUtf8 } from '../lib/bytes';

export const RESERVATION_TYPE_URL: string = 'type.googleapis.com/earmark.v1.Reservation';

export class DeltaResource {
  namePtr: usize = 0;
  nameLen: usize = 0;
  versionPtr: usize = 0;
  versionLen: usize = 0;
  /** False for a heartbeat (name, version, ttl and no body): it only refreshes the TTL. */
  hasBody: bool = false;
  anyTypePtr: usize = 0;
  anyTypeLen: usize = 0;
  bodyPtr: usize = 0;
  bodyLen: usize = 0;
  /** Resource.ttl in ms; 0 = none. */
  ttlMs: u64 = 0;
}

export class DeltaResponse {
  systemVersionPtr: usize = 0;
  systemVersionLen: usize = 0;
  typeUrlPtr: usize = 0;
  typeUrlLen: usize = 0;
  noncePtr: usize = 0;
  nonceLen: usize = 0;
  /** Reused across responses; only the first `count` are this response's. */
  readonly resources: Array<DeltaResource> = [];
  count: i32 = 0;
  removedPtrs: Array<usize> = [];
  removedLens: Array<usize> = [];
  error: string = '';

  private resource(): DeltaResource {
    if (this.count == this.resources.length) this.resources.push(new DeltaResource());
    const r = this.resources[this.count++];
    r.namePtr = 0;
    r.nameLen = 0;
    r.versionPtr = 0;
    r.versionLen = 0;
    r.hasBody = false;
    r.anyTypePtr = 0;
    r.anyTypeLen = 0;
    r.bodyPtr = 0;
    r.bodyLen = 0;
    r.ttlMs = 0;
    return r;
  }

  /** Decodes a response; false (with `error`) on malformed wire data or non-UTF-8 strings. */
  decode(ptr: usize, len: usize): bool {
    this.count = 0;
    this.removedPtrs.length = 0;
    this.removedLens.length = 0;
    this.systemVersionLen = 0;
    this.typeUrlLen = 0;
    this.nonceLen = 0;
    this.error = '';
    const r = new ProtoReader(ptr, len);
    while (r.next()) {
      const f = r.field;
      if (f == 1 || f == 4 || f == 5) {
        if (!r.bytes() || !this.utf8(r, f == 1 ? 'system_version_info' : f == 4 ? 'type_url' : 'nonce'))
          break;
        if (f == 1) {
          this.systemVersionPtr = r.valuePtr;
          this.systemVersionLen = r.valueLen;
        } else if (f == 4) {
          this.typeUrlPtr = r.valuePtr;
          this.typeUrlLen = r.valueLen;
        } else {
          this.noncePtr = r.valuePtr;
          this.nonceLen = r.valueLen;
        }
      } else if (f == 2) {
        if (!r.bytes()) break;
        if (!this.decodeResource(r.valuePtr, r.valueLen, this.resource())) return false;
      } else if (f == 6) {
        if (!r.bytes() || !this.utf8(r, 'removed_resources')) break;
        this.removedPtrs.push(r.valuePtr);
        this.removedLens.push(r.valueLen);
      } else if (f == 8) {
        if (!r.bytes()) break;
        if (!this.decodeResourceName(r.valuePtr, r.valueLen)) return false;
      } else if (!r.skip()) break;
    }
    if (!r.ok) this.error = 'malformed DeltaDiscoveryResponse: ' + r.error;
    return r.ok;
  }

  /**
   * After a failed decode: the nonce found by the top-level fields alone (tags and lengths), so
   * the NACK names the response. False when that framing is broken too, or it has no nonce.
   */
  recoverNonce(ptr: usize, len: usize): bool {
    this.nonceLen = 0;
    const r = new ProtoReader(ptr, len);
    while (r.next()) {
      if (r.field != 5) {
        if (!r.skip()) break;
      } else if (r.bytes()) {
        this.noncePtr = r.valuePtr;
        this.nonceLen = r.valueLen;
      }
    }
    if (r.ok && this.nonceLen > 0 && isValidUtf8(this.noncePtr, this.nonceLen)) return true;
    this.nonceLen = 0;
    return false;
  }

  private utf8(r: ProtoReader, what: string): bool {
    if (isValidUtf8(r.valuePtr, r.valueLen)) return true;
    return r.fail(what + ' is not valid UTF-8');
  }

  private decodeResourceName(ptr: usize, len: usize): bool {
    const r = new ProtoReader(ptr, len);
    let found = false;
    while (r.next()) {
      if (r.field == 1) {
        if (!r.bytes() || !this.utf8(r, 'removed_resource_names.name')) break;
        this.removedPtrs.push(r.valuePtr);
        this.removedLens.push(r.valueLen);
        found = true;
      } else if (!r.skip()) break;
    }
    if (r.ok && !found) r.fail('removed_resource_names entry without a name');
    if (!r.ok) this.error = 'malformed removed_resource_names: ' + r.error;
    return r.ok;
  }

  private decodeResource(ptr: usize, len: usize, out: DeltaResource): bool {
    const r = new ProtoReader(ptr, len);
    while (r.next()) {
      const f = r.field;
      if (f == 3 || f == 1) {
        if (!r.bytes() || !this.utf8(r, f == 3 ? 'Resource.name' : 'Resource.version')) break;
        if (f == 3) {
          out.namePtr = r.valuePtr;
          out.nameLen = r.valueLen;
        } else {
          out.versionPtr = r.valuePtr;
          out.versionLen = r.valueLen;
        }
      } else if (f == 8) {
        if (!r.bytes()) break;
        const n = new ProtoReader(r.valuePtr, r.valueLen);
        while (n.next()) {
          if (n.field == 1) {
            if (!n.bytes() || !this.utf8(n, 'Resource.resource_name.name')) break;
            out.namePtr = n.valuePtr;
            out.nameLen = n.valueLen;
          } else if (!n.skip()) break;
        }
        if (!n.ok) r.fail(n.error);
      } else if (f == 2) {
        if (!r.bytes()) break;
        out.hasBody = true;
        const a = new ProtoReader(r.valuePtr, r.valueLen);
        while (a.next()) {
          if (a.field == 1 || a.field == 2) {
            if (!a.bytes()) break;
            if (a.field == 1) {
              out.anyTypePtr = a.valuePtr;
              out.anyTypeLen = a.valueLen;
            } else {
              out.bodyPtr = a.valuePtr;
              out.bodyLen = a.valueLen;
            }
          } else if (!a.skip()) break;
        }
        if (!a.ok) r.fail('Resource.resource (Any): ' + a.error);
      } else if (f == 6) {
        if (!r.bytes()) break;
        out.ttlMs = this.durationMs(r, r.valuePtr, r.valueLen);
      } else if (!r.skip()) break;
    }
    if (!r.ok) {
      this.error = 'malformed Resource #' + this.count.toString() + ': ' + r.error;
      return false;
    }
    return true;
  }

  /** google.protobuf.Duration {seconds 1, nanos 2} to ms (at least 1 ms when positive). */
  private durationMs(outer: ProtoReader, ptr: usize, len: usize): u64 {
    const d = new ProtoReader(ptr, len);
    let seconds: i64 = 0;
    let nanos: i64 = 0;
    while (d.next()) {
      if (d.field == 1) seconds = <i64>d.u64();
      else if (d.field == 2) nanos = <i64>(<i32>d.u64());
      else d.skip();
    }
    if (!d.ok) {
      outer.fail('Resource.ttl: ' + d.error);
      return 0;
    }
    if (seconds < 0 || nanos < 0 || nanos > 999999999 || seconds > 315576000000) {
      outer.fail('Resource.ttl is out of range');
      return 0;
    }
    const ms = <u64>seconds * 1000 + <u64>nanos / 1000000;
    return ms == 0 && (seconds | nanos) != 0 ? 1 : ms;
  }
}

/** Builds requests; the caller resets and fills one per send. */
export class DeltaRequestWriter {
  readonly p: ProtoWriter = new ProtoWriter(4096);

  begin(nodeId: string, nodeCluster: string, withNode: bool): void {
    this.p.reset();
    if (withNode) {
      const n = this.p.beginNested(1);
      if (nodeId.length) this.p.stringField(1, nodeId);
      if (nodeCluster.length) this.p.stringField(2, nodeCluster);
      this.p.endNested(n);
    }
    this.p.stringField(2, RESERVATION_TYPE_URL);
  }

  initialVersion(name: string, version: string): void {
    const e = this.p.beginNested(5);
    this.p.stringField(1, name);
    this.p.stringField(2, version);
    this.p.endNested(e);
  }

  nonce(ptr: usize, len: usize): void {
    this.p.bytesField(6, ptr, len);
  }

  /** error_detail: google.rpc.Status {code 1, message 2}. */
  errorDetail(code: i32, message: string): void {
    const e = this.p.beginNested(7);
    this.p.intField(1, <i64>code);
    this.p.stringField(2, message);
    this.p.endNested(e);
  }
}
