// Protocol-buffers wire format, by hand: only what Earmark's messages need. The reader never
// trusts input: each read checks bounds and, on malformed data, sets `error` and stops, so a
// decoder fed arbitrary bytes ends with an error message, never a trap.
import { ByteWriter } from './bytes';

export const enum WireType {
  Varint = 0,
  I64 = 1,
  Len = 2,
  I32 = 5,
}

export class ProtoReader {
  pos: usize;
  end: usize;
  /** Empty while the input is well-formed; the first problem found otherwise. */
  error: string = '';
  field: u32 = 0;
  wire: u32 = 0;
  /** Location of the last length-delimited value read. */
  valuePtr: usize = 0;
  valueLen: usize = 0;

  constructor(ptr: usize, len: usize) {
    this.pos = ptr;
    this.end = ptr + len;
  }

  get ok(): bool {
    return this.error.length == 0;
  }

  fail(message: string): bool {
    if (this.error.length == 0) this.error = message;
    this.pos = this.end;
    return false;
  }

  /** Reads the next tag into field/wire; false at the end of input or on error. */
  next(): bool {
    if (this.pos >= this.end || !this.ok) return false;
    const tag = this.varint();
    if (!this.ok) return false;
    const field = tag >> 3;
    if (field == 0 || field > 536870911) return this.fail('invalid field number');
    this.field = <u32>field;
    this.wire = <u32>(tag & 7);
    return true;
  }

  varint(): u64 {
    let result: u64 = 0;
    let shift: u64 = 0;
    while (true) {
      if (this.pos >= this.end) {
        this.fail('truncated varint');
        return 0;
      }
      const b = <u64>load<u8>(this.pos);
      this.pos++;
      if (shift == 63 && b > 1) {
        this.fail('varint overflows 64 bits');
        return 0;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) == 0) return result;
      shift += 7;
      if (shift > 63) {
        this.fail('varint longer than 10 bytes');
        return 0;
      }
    }
  }

  /** A varint field value as u32 (protobuf truncates larger values for uint32). */
  u32(): u32 {
    if (this.wire != WireType.Varint) {
      this.fail('expected a varint for field ' + this.field.toString());
      return 0;
    }
    return <u32>this.varint();
  }

  u64(): u64 {
    if (this.wire != WireType.Varint) {
      this.fail('expected a varint for field ' + this.field.toString());
      return 0;
    }
    return this.varint();
  }

  /** Reads a length-delimited value into valuePtr/valueLen. */
  bytes(): bool {
    if (this.wire != WireType.Len)
      return this.fail('expected a length-delimited field ' + this.field.toString());
    const n = this.varint();
    if (!this.ok) return false;
    if (n > <u64>(this.end - this.pos)) return this.fail('length-delimited field runs past the end');
    this.valuePtr = this.pos;
    this.valueLen = <usize>n;
    this.pos += <usize>n;
    return true;
  }

  /** Skips the value of the current field. Groups (wire types 3, 4) are rejected. */
  skip(): bool {
    switch (this.wire) {
      case WireType.Varint:
        this.varint();
        return this.ok;
      case WireType.I64:
        if (this.end - this.pos < 8) return this.fail('truncated fixed64');
        this.pos += 8;
        return true;
      case WireType.Len:
        return this.bytes();
      case WireType.I32:
        if (this.end - this.pos < 4) return this.fail('truncated fixed32');
        this.pos += 4;
        return true;
      default:
        return this.fail('unsupported wire type ' + this.wire.toString());
    }
  }
}

export class ProtoWriter {
  readonly w: ByteWriter;

  constructor(initialCapacity: usize) {
    this.w = new ByteWriter(initialCapacity);
  }

  reset(): void {
    this.w.reset();
  }

  varint(v: u64): void {
    this.w.ensure(10);
    let p = this.w.ptr + this.w.len;
    while (v >= 0x80) {
      store<u8>(p++, <u8>(v | 0x80));
      v >>= 7;
    }
    store<u8>(p++, <u8>v);
    this.w.len = p - this.w.ptr;
  }

  tag(field: u32, wire: u32): void {
    this.varint(((<u64>field) << 3) | (<u64>wire));
  }

  /** Writes a varint field, skipping zero as proto3 does. */
  uintField(field: u32, v: u64): void {
    if (v == 0) return;
    this.tag(field, WireType.Varint);
    this.varint(v);
  }

  /** A signed int32/int64 field (negative values take 10 bytes, as protobuf encodes them). */
  intField(field: u32, v: i64): void {
    if (v == 0) return;
    this.tag(field, WireType.Varint);
    this.varint(<u64>v);
  }

  bytesField(field: u32, ptr: usize, len: usize): void {
    this.tag(field, WireType.Len);
    this.varint(<u64>len);
    this.w.bytes(ptr, len);
  }

  /** Writes a string field, even when empty (callers skip empty optional strings themselves). */
  stringField(field: u32, s: string): void {
    this.tag(field, WireType.Len);
    this.varint(<u64>String.UTF8.byteLength(s));
    this.w.utf8(s);
  }

  /** Starts a nested message; pass the result to endNested once its fields are written. */
  beginNested(field: u32): usize {
    this.tag(field, WireType.Len);
    this.w.ensure(1);
    this.w.len += 1; // one length byte reserved; endNested widens it when needed
    return this.w.len;
  }

  endNested(start: usize): void {
    const size = this.w.len - start;
    let lenBytes: usize = 1;
    let t = size >> 7;
    while (t > 0) {
      lenBytes++;
      t >>= 7;
    }
    if (lenBytes > 1) {
      this.w.ensure(lenBytes - 1);
      memory.copy(this.w.ptr + start + lenBytes - 1, this.w.ptr + start, size);
    }
    let p = this.w.ptr + start - 1;
    let v = <u64>size;
    while (v >= 0x80) {
      store<u8>(p++, <u8>(v | 0x80));
      v >>= 7;
    }
    store<u8>(p, <u8>v);
    this.w.len = start + lenBytes - 1 + size;
  }
}
