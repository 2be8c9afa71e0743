// Hostile YAML structure is a positioned error: alias bombs, unresolved and recursive aliases,
// collection keys (which the yaml library would stringify with a Node warning).
import { describe, expect, it } from 'vitest';
import { yamlStructureErrors, documentValue } from '../../src/config/yaml-guard.js';
import { YamlSource } from '../../src/config/yaml-source.js';

const errorsOf = (text: string) => yamlStructureErrors(new YamlSource('f.yaml', text)).map((d) => `${d.line}:${d.col} ${d.message}`);

describe('YAML structure checks', () => {
  it('refuse an alias bomb (the "billion laughs")', () => {
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i <= 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const errors = errorsOf(lines.join('\n'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/aliases expand this document by over 1,000,000 nodes/);
  });

  it('accept an anchor reused hundreds of times (the yaml library alone would refuse it)', () => {
    const text = `st: &st {distribution: constant, value: 1ms}\nlist: [${Array(500).fill('*st').join(', ')}]\n`;
    expect(errorsOf(text)).toEqual([]);
    expect((documentValue(new YamlSource('f', text)) as { list: unknown[] }).list).toHaveLength(500);
  });

  it('refuse an unresolved alias, at the alias', () => {
    expect(errorsOf('a: 1\nseed: *x\n')).toEqual(['2:7 unresolved alias "*x": no anchor &x is set before it']);
  });

  it('refuse an alias inside the node it names', () => {
    expect(errorsOf('a: &a [1, *a]\n')).toEqual(['1:11 alias "*a" refers to a node that contains it (a recursive structure)']);
  });

  it('refuse list and mapping keys', () => {
    expect(errorsOf('? [a, b]\n: 1\n')).toEqual(['1:3 a mapping key must be a plain value, not a list or mapping']);
    expect(errorsOf('{x: 1}: 2\n')).toEqual(['1:1 a mapping key must be a plain value, not a list or mapping']);
  });
});
