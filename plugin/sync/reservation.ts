// earmark.v1.Reservation (proto/earmark/v1/reservation.proto) -> the shared-data record fields,
// with the checks a record needs: the user matches the resource name, an instance address of
// 1-255 bytes, a fallback of at most 255, a validity window that is not empty. Unknown fields
// are skipped (a newer control plane may add some); an on_exhausted value this filter does not
// know is treated as unspecified, so the filter's default applies.
import { ProtoReader } from '../lib/protobuf';
import { bytesEqual, isValidUtf8 } from '../lib/bytes';
import { RecordFields } from '../plan/record';

export class ReservationDecoder {
  error: string = '';
  readonly fields: RecordFields = new RecordFields();
  expiresMs: u64 = 0;

  /** Decodes the body of a resource named (namePtr, nameLen); false with `error` when invalid. */
  decode(ptr: usize, len: usize, namePtr: usize, nameLen: usize): bool {
    const f = this.fields;
    f.slots = 0;
    f.ratePerMinute = 0;
    f.burst = 0;
    f.priority = 0;
    f.maxQueueWaitMs = 0;
    f.onExhausted = 0;
    f.notBeforeMs = 0;
    f.validUntilMs = 0;
    f.addressPtr = 0;
    f.addressLen = 0;
    f.fallbackPtr = 0;
    f.fallbackLen = 0;
    this.expiresMs = 0;
    this.error = '';
    const r = new ProtoReader(ptr, len);
    while (r.next()) {
      switch (r.field) {
        case 1:
          if (r.bytes() && r.valueLen > 0 && !bytesEqual(r.valuePtr, r.valueLen, namePtr, nameLen)) {
            return this.fail('user differs from the resource name');
          }
          break;
        case 3:
          if (r.bytes()) {
            f.addressPtr = r.valuePtr;
            f.addressLen = r.valueLen;
          }
          break;
        case 4:
          f.slots = r.u32();
          break;
        case 5:
          f.ratePerMinute = r.u32();
          break;
        case 6:
          f.burst = r.u32();
          break;
        case 11:
          f.priority = r.u32();
          break;
        case 12:
          f.maxQueueWaitMs = r.u32();
          break;
        case 13: {
          const v = r.u64();
          f.onExhausted = v <= 4 ? <u32>v : 0;
          break;
        }
        case 14:
          f.notBeforeMs = r.u64();
          break;
        case 15:
          this.expiresMs = r.u64();
          break;
        case 16:
          if (r.bytes()) {
            f.fallbackPtr = r.valuePtr;
            f.fallbackLen = r.valueLen;
          }
          break;
        default:
          r.skip();
      }
    }
    if (!r.ok) return this.fail('malformed Reservation: ' + r.error);
    if (f.addressLen == 0 || f.addressLen > 255) {
      return this.fail('instance_address must be 1 to 255 bytes (got ' + f.addressLen.toString() + ')');
    }
    if (!isValidUtf8(f.addressPtr, f.addressLen)) return this.fail('instance_address is not valid UTF-8');
    if (f.fallbackLen > 255)
      return this.fail('fallback must be at most 255 bytes (got ' + f.fallbackLen.toString() + ')');
    if (!isValidUtf8(f.fallbackPtr, f.fallbackLen)) return this.fail('fallback is not valid UTF-8');
    if (this.expiresMs != 0 && f.notBeforeMs >= this.expiresMs)
      return this.fail('not_before_ms must be before expires_ms');
    return true;
  }

  private fail(message: string): bool {
    this.error = message;
    return false;
  }
}
