// A small strict JSON parser (RFC 8259) for the plugin configuration. Produces a tree of
// JsonValue; on malformed input returns null and leaves the reason (with its byte offset) in
// `jsonError`. Object members keep their order; duplicate keys are reported by the config
// validator, which knows the field path.

export const enum JsonKind {
  Null,
  Bool,
  Number,
  String,
  Array,
  Object,
}

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = '';
  items: Array<JsonValue> = [];
  keys: Array<string> = [];

  kindName(): string {
    switch (this.kind) {
      case JsonKind.Null:
        return 'null';
      case JsonKind.Bool:
        return 'a boolean';
      case JsonKind.Number:
        return 'a number';
      case JsonKind.String:
        return 'a string';
      case JsonKind.Array:
        return 'an array';
      default:
        return 'an object';
    }
  }
}

export let jsonError: string = '';

const MAX_DEPTH = 32;

class Parser {
  pos: i32 = 0;
  error: string = '';

  constructor(public src: string) {}

  fail(message: string): JsonValue | null {
    if (this.error.length == 0) this.error = message + ' at offset ' + this.pos.toString();
    return null;
  }

  ws(): void {
    const s = this.src;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.pos++;
      else break;
    }
  }

  value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail('nesting deeper than ' + MAX_DEPTH.toString());
    this.ws();
    if (this.pos >= this.src.length) return this.fail('unexpected end of input');
    const c = this.src.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JsonValue();
      v.kind = JsonKind.String;
      v.str = s;
      return v;
    }
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (this.literal('true')) return boolValue(true);
    if (this.literal('false')) return boolValue(false);
    if (this.literal('null')) return new JsonValue();
    return this.fail('unexpected character');
  }

  literal(word: string): bool {
    if (this.src.substr(this.pos, word.length) == word) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  object(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    this.pos++;
    this.ws();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.ws();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x22)
        return this.fail('expected a member name');
      const key = this.string();
      if (key === null) return null;
      this.ws();
      if (this.pos >= this.src.length || this.src.charCodeAt(this.pos) != 0x3a)
        return this.fail("expected ':'");
      this.pos++;
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.keys.push(key);
      v.items.push(item);
      this.ws();
      if (this.pos >= this.src.length) return this.fail('unterminated object');
      const c = this.src.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) return this.fail("expected ',' or '}'");
    }
  }

  array(depth: i32): JsonValue | null {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    this.pos++;
    this.ws();
    if (this.pos < this.src.length && this.src.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      v.items.push(item);
      this.ws();
      if (this.pos >= this.src.length) return this.fail('unterminated array');
      const c = this.src.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail("expected ',' or ']'");
    }
  }

  number(): JsonValue | null {
    const s = this.src;
    const start = this.pos;
    if (s.charCodeAt(this.pos) == 0x2d) this.pos++;
    if (this.pos >= s.length) return this.fail('bad number');
    const first = s.charCodeAt(this.pos);
    if (first == 0x30) this.pos++;
    else if (first >= 0x31 && first <= 0x39) this.digits();
    else return this.fail('bad number');
    if (this.pos < s.length && s.charCodeAt(this.pos) == 0x2e) {
      this.pos++;
      if (this.digits() == 0) return this.fail('bad number');
    }
    if (this.pos < s.length && (s.charCodeAt(this.pos) | 0x20) == 0x65) {
      this.pos++;
      if (this.pos < s.length && (s.charCodeAt(this.pos) == 0x2b || s.charCodeAt(this.pos) == 0x2d))
        this.pos++;
      if (this.digits() == 0) return this.fail('bad number');
    }
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = parseFloat(s.substring(start, this.pos));
    return v;
  }

  digits(): i32 {
    let n = 0;
    while (this.pos < this.src.length) {
      const c = this.src.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
      n++;
    }
    return n;
  }

  string(): string | null {
    const s = this.src;
    this.pos++; // opening quote
    let out = '';
    let chunk = this.pos;
    while (true) {
      if (this.pos >= s.length) {
        this.fail('unterminated string');
        return null;
      }
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(chunk, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail('control character in string');
        return null;
      }
      if (c != 0x5c) {
        this.pos++;
        continue;
      }
      out += s.substring(chunk, this.pos);
      this.pos++;
      if (this.pos >= s.length) {
        this.fail('unterminated escape');
        return null;
      }
      const e = s.charCodeAt(this.pos++);
      if (e == 0x22) out += '"';
      else if (e == 0x5c) out += '\\';
      else if (e == 0x2f) out += '/';
      else if (e == 0x62) out += '\b';
      else if (e == 0x66) out += '\f';
      else if (e == 0x6e) out += '\n';
      else if (e == 0x72) out += '\r';
      else if (e == 0x74) out += '\t';
      else if (e == 0x75) {
        if (this.pos + 4 > s.length) {
          this.fail('bad \\u escape');
          return null;
        }
        let code = 0;
        for (let k = 0; k < 4; k++) {
          const h = s.charCodeAt(this.pos++);
          let d = -1;
          if (h >= 0x30 && h <= 0x39) d = h - 0x30;
          else if ((h | 0x20) >= 0x61 && (h | 0x20) <= 0x66) d = (h | 0x20) - 0x61 + 10;
          if (d < 0) {
            this.fail('bad \\u escape');
            return null;
          }
          code = (code << 4) | d;
        }
        out += String.fromCharCode(code);
      } else {
        this.fail('bad escape');
        return null;
      }
      chunk = this.pos;
    }
  }
}

function boolValue(b: bool): JsonValue {
  const v = new JsonValue();
  v.kind = JsonKind.Bool;
  v.bool = b;
  return v;
}

/** Parses a whole document; null (and jsonError set) when it is not valid JSON. */
export function parseJson(src: string): JsonValue | null {
  const p = new Parser(src);
  const v = p.value(0);
  if (v !== null) {
    p.ws();
    if (p.pos < src.length) {
      p.fail('trailing characters');
      jsonError = p.error;
      return null;
    }
  }
  jsonError = p.error;
  return v;
}
