/**
 * The connection pool's choice: `take` hands out the newest open connection with a free stream
 * (the highest opening order), whatever the order connections were given back in, and closes the
 * idle ones past the idle timeout it meets on the way. The free list is kept in opening order
 * while short and as a heap once long (src/dataplane/connections.ts); both must make the same
 * choice, which these tests hold against a plain reference: the maximum by opening order of a set.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionPool, type Connection } from '../../src/dataplane/connections.js';
import { prng } from '../kernel/prng.js';

const newPool = (maxStreams: number, idleTimeoutUs = Infinity) => {
  const clock = { now: 0 };
  const pool = new ConnectionPool<'any', string>({ maxStreams, maxRequestsPerConnection: 0, idleTimeoutUs }, clock);
  return { pool, clock };
};

/** The reference: of the open connections with a free stream, the one opened last. */
const newestFree = (open: Connection<string>[], maxStreams: number) =>
  open
    .filter((c) => !c.closed && c.streams < maxStreams)
    .reduce<Connection<string> | undefined>((a, c) => (!a || c.seq > a.seq ? c : a), undefined);

describe('ConnectionPool.take', () => {
  it('hands out the newest free connection first, one request per HTTP/1.1 connection', () => {
    const { pool } = newPool(1);
    const [a, b, c] = ['a', 'b', 'c'].map((h) => pool.open('any', h, false));
    for (const x of [b, a, c]) pool.release('any', x!);
    expect(pool.take('any')).toBe(c);
    expect(pool.take('any')).toBe(b);
    expect(pool.take('any')).toBe(a);
    expect(pool.take('any')).toBeUndefined();
  });

  for (const size of [10, 40, 200, 3000]) {
    it(`makes the reference's choice through ${size} connections given back and taken in random order`, () => {
      const maxStreams = 1;
      const { pool } = newPool(maxStreams);
      const rand = prng(size);
      const open: Connection<string>[] = [];
      const busy: Connection<string>[] = [];
      for (let i = 0; i < size; i++) {
        const c = pool.open('any', `h${i}`, false);
        open.push(c);
        busy.push(c);
      }
      // Give back most of them in random order (the list grows past its sorted length, becomes a
      // heap), then mix takes, releases and closes until the list is short again.
      for (let step = 0; step < size * 6; step++) {
        const r = rand();
        if (r < 0.45 && busy.length > 0) {
          const c = busy.splice(Math.floor(rand() * busy.length), 1)[0]!;
          pool.release('any', c);
        } else if (r < 0.9) {
          const expected = newestFree(open, maxStreams);
          const got = pool.take('any');
          expect(got).toBe(expected);
          if (got) busy.push(got);
        } else if (busy.length > 0) {
          // A failed connection is dropped wherever it sits.
          const c = busy.splice(Math.floor(rand() * busy.length), 1)[0]!;
          pool.discard('any', c);
        }
      }
      for (let next = newestFree(open, maxStreams); next; next = newestFree(open, maxStreams)) expect(pool.take('any')).toBe(next);
      expect(pool.take('any')).toBeUndefined();
    });
  }

  it('keeps a long free list in opening order while only its newest come and go, and makes it a heap when they come back anywhere', () => {
    // A burst once opened 100 connections; they stay open and idle, and requests now take and give
    // back only the newest few. Judged by what it costs, that list stays in opening order.
    const { pool } = newPool(1);
    const all = Array.from({ length: 100 }, (_, i) => pool.open('any', `h${i}`, false));
    for (const c of all) pool.release('any', c);
    const conns = pool.conns('any');
    const rand = prng(7);
    const busy: Connection<string>[] = [];
    for (let step = 0; step < 5000; step++) {
      if (busy.length < 4 && (busy.length === 0 || rand() < 0.5)) busy.push(pool.take('any')!);
      else pool.release('any', busy.splice(Math.floor(rand() * busy.length), 1)[0]!);
    }
    expect(conns.freeIsHeap).toBe(false);
    // Now all are taken and given back in random order, again and again (an overload's pattern):
    // far from the end, the list becomes a heap, and still hands out the same connections.
    let becameHeap = false;
    for (let round = 0; round < 10 && !becameHeap; round++) {
      busy.push(...Array.from({ length: all.length - busy.length }, () => pool.take('any')!));
      while (busy.length > 0) {
        pool.release('any', busy.splice(Math.floor(rand() * busy.length), 1)[0]!);
        becameHeap ||= conns.freeIsHeap;
      }
      for (let i = 0; i < 50; i++) {
        const expected = newestFree(all, 1);
        const got = pool.take('any');
        expect(got).toBe(expected);
        busy.push(got!);
        becameHeap ||= conns.freeIsHeap;
      }
    }
    expect(becameHeap).toBe(true);
  });

  it('closes idle connections past the idle timeout instead of handing them out', () => {
    const { pool, clock } = newPool(1, 1000);
    const old = pool.open('any', 'a', false);
    const young = pool.open('any', 'b', false);
    pool.release('any', young);
    clock.now = 500;
    pool.release('any', old);
    clock.now = 1200; // young idle 1,200 µs, old 700 µs
    expect(pool.take('any')).toBe(old);
    expect(young.closed).toBe(true);
    expect(pool.openCount).toBe(1);
  });

  it('shares a multiplexed connection until its streams are all taken', () => {
    const { pool } = newPool(2);
    const a = pool.open('any', 'a', false);
    const b = pool.open('any', 'b', false);
    expect(pool.take('any')).toBe(b);
    expect(pool.take('any')).toBe(a);
    expect(pool.take('any')).toBeUndefined();
    pool.release('any', a);
    expect(pool.take('any')).toBe(a);
  });
});
