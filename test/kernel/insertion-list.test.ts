import { describe, expect, it } from 'vitest';
import { InsertionList } from '../../src/kernel/insertion-list.js';
import { prng } from './prng.js';

interface Item {
  id: number;
  listSlot: number;
}

const item = (id: number): Item => ({ id, listSlot: 0 });
const ids = (l: InsertionList<Item>) => l.toArray().map((i) => i.id);

describe('InsertionList', () => {
  it('keeps insertion order across deletes, and answers has/size', () => {
    const l = new InsertionList<Item>();
    const xs = [1, 2, 3, 4].map(item);
    for (const x of xs) l.add(x);
    expect(l.delete(xs[1]!)).toBe(true);
    expect(l.delete(xs[1]!)).toBe(false);
    l.add(xs[1]!);
    expect(ids(l)).toEqual([1, 3, 4, 2]);
    expect(l.size).toBe(4);
    expect(l.has(xs[2]!)).toBe(true);
  });

  it('does not take a spread copy of an item for the item', () => {
    const l = new InsertionList<Item>();
    const x = item(1);
    l.add(x);
    const copy = { ...x };
    expect(l.has(copy)).toBe(false);
    expect(l.delete(copy)).toBe(false);
    expect(l.size).toBe(1);
  });

  it('forgets an item once the list emptied, even if a new item reuses its place', () => {
    const l = new InsertionList<Item>();
    const a = item(1);
    l.add(a);
    l.delete(a);
    const b = item(2);
    l.add(b);
    expect(l.has(a)).toBe(false);
    expect(l.delete(a)).toBe(false);
    expect(ids(l)).toEqual([2]);
    l.clear();
    expect(l.size).toBe(0);
    expect(l.has(b)).toBe(false);
  });

  it('behaves as a Set (order, membership, size) under 20,000 random adds and deletes', () => {
    const rnd = prng(7);
    const l = new InsertionList<Item>();
    const s = new Set<Item>();
    const pool = Array.from({ length: 300 }, (_, i) => item(i));
    for (let step = 0; step < 20_000; step++) {
      const x = pool[Math.floor(rnd() * pool.length)]!;
      // Mostly FIFO-like churn, with long-lived items left behind (the compaction's case).
      if (s.has(x)) {
        if (rnd() < 0.9) {
          s.delete(x);
          l.delete(x);
        }
      } else if (rnd() < 0.6) {
        s.add(x);
        l.add(x);
      }
      if (step % 997 === 0) expect(ids(l)).toEqual([...s].map((i) => i.id));
      expect(l.size).toBe(s.size);
    }
    expect(ids(l)).toEqual([...s].map((i) => i.id));
    for (const x of pool) expect(l.has(x)).toBe(s.has(x));
  });
});
