import { objectArray } from '../kernel/object-array.js';

/** A FIFO queue without Array.shift's O(n) cost: a head index, compacted now and then. */
export class Fifo<T> {
  private items: (T | undefined)[] = objectArray();
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, left in place. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Forgets every waiting item (used when a pod crashes). */
  clear(): void {
    this.items = objectArray();
    this.head = 0;
  }
}
