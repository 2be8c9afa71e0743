/**
 * Cost profiles are read with JSON.parse when they are plain JSON (src/config/profile.ts): the YAML
 * reader is only needed to position problems. The two readings must agree on every shipped profile,
 * and a file the YAML reader refuses (a repeated key) must not take the fast path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { plainJson } from '../../src/config/profile.js';
import { YamlSource } from '../../src/config/yaml-source.js';

describe('profile files read as plain JSON', () => {
  for (const f of readdirSync('profiles').filter((x) => x.endsWith('.json'))) {
    it(`${f}: JSON.parse gives what the YAML reader gives`, () => {
      const text = readFileSync(`profiles/${f}`, 'utf8');
      const yaml = new YamlSource(f, text);
      expect(yaml.syntaxErrors()).toEqual([]);
      expect(plainJson(text)).toEqual(yaml.doc.toJS());
    });
  }
  it('a repeated key (a YAML error: "Map keys must be unique") is not plain JSON', () => {
    expect(plainJson('{"a": {"b": 1, "b": 2}}')).toBeUndefined();
    expect(new YamlSource('x.json', '{"a": {"b": 1, "b": 2}}').syntaxErrors()).not.toEqual([]);
  });
  it('keys are counted as string tokens, so a colon inside a string value is no key', () => {
    expect(plainJson('{"a": "x\\": y", "b": ["c:", {"d": 1}]}')).toEqual({ a: 'x": y', b: ['c:', { d: 1 }] });
    expect(plainJson('{"a": 1')).toBeUndefined();
  });
});
