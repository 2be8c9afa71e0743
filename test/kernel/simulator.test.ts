/**
 * The event loop (src/kernel/simulator.ts): events run in (time, scheduling sequence) order and
 * nothing else breaks ties; cancelled events never run; run(until) stops at `until`; the free-list
 * recycling and the "hold" (replaceTop) fast path never change that order.
 */
import { describe, expect, it } from 'vitest';
import { Simulator, type ScheduledEvent } from '../../src/kernel/simulator.js';
import { prng } from './prng.js';

interface Fired {
  id: number;
  time: number;
}

describe('Simulator ordering', () => {
  it('runs events in (time, seq) order whatever order they were scheduled in', () => {
    const sim = new Simulator();
    const fired: Fired[] = [];
    const times = [50, 10, 30, 10, 0, 70, 30, 20, 10, 0, 5.5, 5.25];
    times.forEach((t, id) => sim.schedule(t, (i: number) => fired.push({ id: i, time: sim.now }), id));
    sim.run();
    // Expected: stable sort by time, so equal times keep their scheduling (id) order.
    const expected = times.map((time, id) => ({ id, time })).sort((a, b) => a.time - b.time || a.id - b.id);
    expect(fired).toEqual(expected);
    expect(sim.processed).toBe(times.length);
    expect(sim.pending).toBe(0);
  });

  it('runs events with equal times in the order they were scheduled', () => {
    const sim = new Simulator();
    const order: string[] = [];
    for (let i = 0; i < 200; i++) sim.schedule(7, (x: string) => order.push(x), `a${i}`);
    sim.at(7, (x: string) => order.push(x), 'at');
    sim.run();
    expect(order).toEqual([...Array.from({ length: 200 }, (_, i) => `a${i}`), 'at']);
  });

  it('runs a zero-delay event scheduled from a handler after the events already due at that time', () => {
    const sim = new Simulator();
    const order: string[] = [];
    sim.schedule(
      5,
      () => {
        order.push('first');
        sim.schedule(0, () => order.push('zero-delay from first'), undefined);
      },
      undefined,
    );
    sim.schedule(5, () => order.push('second'), undefined);
    sim.schedule(5, () => order.push('third'), undefined);
    sim.run();
    expect(order).toEqual(['first', 'second', 'third', 'zero-delay from first']);
  });

  it('clamps negative delays and past absolute times to now', () => {
    const sim = new Simulator();
    const seen: [string, number][] = [];
    sim.schedule(
      10,
      () => {
        sim.schedule(-5, () => seen.push(['negative delay', sim.now]), undefined);
        sim.at(3, () => seen.push(['past at', sim.now]), undefined);
      },
      undefined,
    );
    sim.schedule(10, () => seen.push(['already due', sim.now]), undefined);
    sim.run();
    expect(seen).toEqual([
      ['already due', 10],
      ['negative delay', 10],
      ['past at', 10],
    ]);
  });

  it('passes each event its own argument', () => {
    const sim = new Simulator();
    const got: number[] = [];
    for (let i = 0; i < 50; i++) sim.schedule(50 - i, (x: { v: number }) => got.push(x.v), { v: i });
    sim.run();
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => 49 - i));
  });
});

describe('Simulator cancellation', () => {
  it('does not run a cancelled event and does not count it as processed', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    const a = sim.scheduleCancellable(10, () => ran.push('a'), undefined);
    sim.scheduleCancellable(20, () => ran.push('b'), undefined);
    sim.schedule(15, () => ran.push('plain'), undefined);
    sim.cancel(a);
    sim.run();
    expect(ran).toEqual(['plain', 'b']);
    expect(sim.processed).toBe(2);
    expect(sim.pending).toBe(0);
  });

  it('does not run an event cancelled by an earlier handler at the same time', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    const handle: { victim?: ScheduledEvent } = {};
    sim.schedule(
      5,
      () => {
        ran.push('canceller');
        sim.cancel(handle.victim);
      },
      undefined,
    );
    handle.victim = sim.scheduleCancellable(5, () => ran.push('victim'), undefined);
    sim.schedule(5, () => ran.push('after'), undefined);
    sim.run();
    expect(ran).toEqual(['canceller', 'after']);
  });

  it('lets a handler cancel an event it has just scheduled (the event that replaced the top)', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    sim.schedule(
      1,
      () => {
        const ev = sim.scheduleCancellable(1, () => ran.push('cancelled'), undefined);
        sim.cancel(ev);
        sim.schedule(2, () => ran.push('kept'), undefined);
      },
      undefined,
    );
    sim.run();
    expect(ran).toEqual(['kept']);
    expect(sim.now).toBe(3);
  });

  it('ignores cancel(undefined) and cancelling an event that already ran', () => {
    const sim = new Simulator();
    const ran: string[] = [];
    const early = sim.scheduleCancellable(1, () => ran.push('early'), undefined);
    sim.schedule(
      2,
      () => {
        sim.cancel(early); // already ran: must not affect anything else
        sim.cancel(undefined);
        for (let i = 0; i < 10; i++) sim.schedule(i, (x: number) => ran.push(`late${x}`), i);
      },
      undefined,
    );
    sim.run();
    expect(ran).toEqual(['early', ...Array.from({ length: 10 }, (_, i) => `late${i}`)]);
  });

  it('never hands out a cancellable handle that is later reused for another event', () => {
    // Cancellable events are not recycled: cancelling a stale handle long after it ran must not
    // cancel whichever event now occupies a recycled slot.
    const sim = new Simulator();
    let stale: ScheduledEvent | undefined;
    let count = 0;
    const tick = (n: number): void => {
      count++;
      // Taken while the free list holds recycled events, and run at once.
      if (n === 10) stale = sim.scheduleCancellable(0, () => {}, undefined);
      if (n === 500) sim.cancel(stale);
      if (n < 1000) sim.schedule(1, tick, n + 1);
    };
    sim.schedule(1, tick, 1);
    sim.run();
    expect(count).toBe(1000);
  });
});

describe('Simulator run(until)', () => {
  it('runs events at exactly `until`, leaves later ones pending and sets now to `until`', () => {
    const sim = new Simulator();
    const ran: number[] = [];
    for (const t of [10, 20, 30, 40]) sim.schedule(t, (x: number) => ran.push(x), t);
    sim.run(25);
    expect(ran).toEqual([10, 20]);
    expect(sim.now).toBe(25);
    expect(sim.pending).toBe(2);
    sim.run(30);
    expect(ran).toEqual([10, 20, 30]);
    expect(sim.now).toBe(30);
    sim.run();
    expect(ran).toEqual([10, 20, 30, 40]);
    expect(sim.now).toBe(40);
  });

  it('advances now to `until` when the queue empties first', () => {
    const sim = new Simulator();
    sim.schedule(3, () => {}, undefined);
    sim.run(1000);
    expect(sim.now).toBe(1000);
    expect(sim.processed).toBe(1);
    // Delays are measured from the new now.
    let at = -1;
    sim.schedule(5, () => (at = sim.now), undefined);
    sim.run();
    expect(at).toBe(1005);
  });

  it('leaves now at the last event time when run without a bound', () => {
    const sim = new Simulator();
    sim.schedule(42, () => {}, undefined);
    sim.run();
    expect(sim.now).toBe(42);
  });

  it('does not move time backwards when `until` is earlier than now', () => {
    const sim = new Simulator();
    sim.run(100);
    sim.run(50);
    expect(sim.now).toBe(100);
  });

  it('skips cancelled events beyond `until` without running anything past it', () => {
    const sim = new Simulator();
    const ran: number[] = [];
    const ev = sim.scheduleCancellable(5, () => ran.push(5), undefined);
    sim.schedule(15, () => ran.push(15), undefined);
    sim.cancel(ev);
    sim.run(10);
    expect(ran).toEqual([]);
    expect(sim.now).toBe(10);
    sim.run();
    expect(ran).toEqual([15]);
  });
});

describe('Simulator recycling', () => {
  it('keeps (time, seq) order when handlers schedule many events through recycled slots', () => {
    // Reference model: every scheduled event gets (time, seq) from a counter that mirrors the
    // simulator's; the observed execution order must be exactly the (time, seq) sort of what ran.
    const sim = new Simulator();
    const rnd = prng(12345);
    let nextId = 0;
    const scheduled: { id: number; time: number }[] = [];
    const fired: { id: number; time: number }[] = [];
    const firedIds = new Set<number>();
    const cancelledIds = new Set<number>();
    const handles: { id: number; ev: ScheduledEvent }[] = [];
    const LIMIT = 20_000;

    const handler = (id: number): void => {
      fired.push({ id, time: sim.now });
      firedIds.add(id);
      if (nextId >= LIMIT) return;
      const children = Math.floor(rnd() * 4); // 0..3 children: the queue grows and shrinks
      for (let c = 0; c < children && nextId < LIMIT; c++) {
        // Coarse delays so many events share a time and ties are exercised.
        const delay = Math.floor(rnd() * 5) * 10;
        const id2 = nextId++;
        scheduled.push({ id: id2, time: sim.now + delay });
        if (rnd() < 0.1) handles.push({ id: id2, ev: sim.scheduleCancellable(delay, handler, id2) });
        else sim.schedule(delay, handler, id2);
      }
      // Now and then cancel a pending cancellable event.
      if (handles.length > 0 && rnd() < 0.2) {
        const h = handles.splice(Math.floor(rnd() * handles.length), 1)[0]!;
        if (!firedIds.has(h.id)) {
          cancelledIds.add(h.id);
          sim.cancel(h.ev);
        }
      }
    };
    for (let i = 0; i < 20; i++) {
      const id = nextId++;
      scheduled.push({ id, time: i * 3 });
      sim.schedule(i * 3, handler, id);
    }
    sim.run();

    const expectedIds = new Set(scheduled.map((s) => s.id).filter((id) => !cancelledIds.has(id)));
    expect(new Set(fired.map((f) => f.id))).toEqual(expectedIds);
    expect(fired.length).toBe(expectedIds.size);
    expect(sim.processed).toBe(fired.length);
    // Each event ran at its own scheduled time…
    const timeOf = new Map(scheduled.map((s) => [s.id, s.time]));
    const problems: string[] = [];
    for (const f of fired) if (f.time !== timeOf.get(f.id)) problems.push(`event ${f.id} ran at ${f.time}, due ${timeOf.get(f.id)}`);
    // …and the whole sequence is sorted by (time, seq); ids are allocated in scheduling order.
    for (let i = 1; i < fired.length; i++) {
      const a = fired[i - 1]!;
      const b = fired[i]!;
      const ordered = a.time < b.time || (a.time === b.time && a.id < b.id);
      if (!ordered) problems.push(`event ${b.id}@${b.time} ran after ${a.id}@${a.time}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(fired.length).toBeGreaterThan(LIMIT / 2);
  });

  it('gives a recycled event the new argument, not the old one', () => {
    const sim = new Simulator();
    const got: string[] = [];
    sim.schedule(
      1,
      (s: string) => {
        got.push(s);
        sim.schedule(
          1,
          (t: string) => {
            got.push(t);
            sim.schedule(1, (u: string) => got.push(u), 'third');
          },
          'second',
        );
      },
      'first',
    );
    sim.run();
    expect(got).toEqual(['first', 'second', 'third']);
    expect(sim.now).toBe(3);
  });

  it('counts pending events correctly while a handler runs', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    sim.schedule(
      1,
      () => {
        seen.push(sim.pending); // the running event no longer counts
        sim.schedule(1, () => seen.push(sim.pending), undefined);
        seen.push(sim.pending);
        sim.schedule(2, () => seen.push(sim.pending), undefined);
        seen.push(sim.pending);
      },
      undefined,
    );
    sim.schedule(5, () => {}, undefined);
    sim.run();
    expect(seen).toEqual([1, 2, 3, 2, 1]);
  });
});

describe('Simulator reserved places (lazily settled ends)', () => {
  it('says a reserved (time, seq) place has passed exactly when an event there would have run', () => {
    const sim = new Simulator();
    const seen: [string, boolean][] = [];
    let place: [number, number] = [0, 0];
    sim.schedule(
      1,
      () => {
        place = [sim.now + 2, sim.reserveSeq()]; // as if an event were scheduled at t=3 now
        sim.schedule(2, () => seen.push(['scheduled after the place, same time', sim.hasPassed(...place)]), undefined);
      },
      undefined,
    );
    // Scheduled before the place was taken, so at t=3 it runs before it.
    sim.schedule(3, () => seen.push(['scheduled before the place, same time', sim.hasPassed(...place)]), undefined);
    sim.schedule(2.5, () => seen.push(['earlier time', sim.hasPassed(...place)]), undefined);
    sim.run();
    expect(seen).toEqual([
      ['earlier time', false],
      ['scheduled before the place, same time', false],
      ['scheduled after the place, same time', true],
    ]);
    expect(sim.hasPassed(...place)).toBe(true); // between runs, everything up to now has run
  });

  it('runs an event put at a reserved place in the order the place was taken', () => {
    const sim = new Simulator();
    const order: string[] = [];
    sim.schedule(
      0,
      () => {
        const seq = sim.reserveSeq();
        sim.schedule(5, () => order.push('scheduled after reserving'), undefined);
        sim.schedule(1, () => sim.atSeq(5, seq, () => order.push('reserved place'), undefined), undefined);
      },
      undefined,
    );
    sim.run();
    expect(order).toEqual(['reserved place', 'scheduled after reserving']);
  });
});
