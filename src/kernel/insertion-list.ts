/**
 * A set of objects kept in insertion order, for the short-lived items of the hot path (calls
 * waiting for their answer, requests a pod holds). A `Set` of fresh objects costs an identity hash
 * and a hash-table insert and delete per item: 12% of an M/M/4 run went there. Here each item
 * carries its own index into an array: add and delete are O(1) and hash nothing, and iteration
 * order is the insertion order a `Set` has, so replacing one changes no result.
 *
 * An item belongs to at most one list (the index is its own field). Membership is by identity:
 * a spread copy of an item carries its index but is not in the list.
 */
import { objectArray } from './object-array.js';

export interface Listed {
  /** Where the item sits in its list (set by the list; meaningless outside it). */
  listSlot: number;
}

/** Holes (deleted items) are compacted away once they outnumber the items this many times. */
const HOLES_PER_ITEM = 3;
/** Arrays shorter than this are never compacted (nothing to gain). */
const MIN_COMPACT_LENGTH = 32;

export class InsertionList<T extends Listed> {
  /** Items and holes (undefined) in insertion order in [0, end); undefined past it (kept for reuse). */
  private readonly items: (T | undefined)[] = objectArray();
  private end = 0;
  /** The slot number of `items[0]`: slots only grow, so a stale slot never names a newer item. */
  private base = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    item.listSlot = this.base + this.end;
    if (this.end < this.items.length) this.items[this.end] = item;
    else this.items.push(item);
    this.end++;
    this.count++;
  }

  has(item: T): boolean {
    const i = item.listSlot - this.base;
    return i >= 0 && i < this.end && this.items[i] === item;
  }

  /** Removes `item`; false when it was not in the list. */
  delete(item: T): boolean {
    if (!this.has(item)) return false;
    this.items[item.listSlot - this.base] = undefined;
    this.count--;
    if (this.count === 0) this.restart();
    else if (this.end >= MIN_COMPACT_LENGTH && this.end > (HOLES_PER_ITEM + 1) * this.count) this.compact();
    return true;
  }

  clear(): void {
    this.items.fill(undefined, 0, this.end);
    this.count = 0;
    this.restart();
  }

  /** The items in insertion order, as a new array (safe to change the list while walking it). */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.end; i++) {
      const item = this.items[i];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** Empty: the array is all holes; the next item goes to its front, under a slot never used. */
  private restart(): void {
    this.base += this.end;
    this.end = 0;
  }

  /** Moves the items to the front, in order, under slots past every slot used so far. */
  private compact(): void {
    const items = this.items;
    const base = this.base + this.end;
    let n = 0;
    for (let i = 0; i < this.end; i++) {
      const item = items[i];
      if (item === undefined) continue;
      item.listSlot = base + n;
      items[n++] = item;
    }
    items.fill(undefined, n, this.end);
    this.base = base;
    this.end = n;
  }
}
