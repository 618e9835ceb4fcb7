import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { POLICY_SCHEMA } from '../../../control-plane/allocate/policy-schema';
import type { FieldSpec } from '../../../control-plane/allocate/yaml-schema';

/** Every field path of the schema, with <name> for user-named entries (tiers, classes, headers). */
function paths(s: FieldSpec, at: string, out: string[]): string[] {
  if (s.kind === 'map') {
    if (at) out.push(at);
    for (const [k, f] of Object.entries(s.fields)) paths(f, at ? `${at}.${k}` : k, out);
  } else if (s.kind === 'dict') {
    out.push(at);
    paths(s.of, `${at}.<${s.entry.replace(/ /g, '-')}>`, out);
  } else out.push(at);
  return out;
}

describe('allocate: README', () => {
  it('documents every policy field, with its default', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../../control-plane/allocate/README.md'), 'utf8');
    const all = paths(POLICY_SCHEMA, '', []);
    assert.ok(all.length > 50);
    for (const p of all) assert.ok(readme.includes(`| \`${p}\` |`), `README.md lacks a row for ${p}`);
  });
});
