/** Time-weighted counters for resources that come and go (open connections), for time-averaged memory. */
export class TimeWeighted {
  value = 0;
  private area = 0;
  private last = 0;

  add(delta: number, now: number): void {
    this.area += this.value * (now - this.last);
    this.last = now;
    this.value += delta;
  }

  mean(now: number): number {
    const area = this.area + this.value * (now - this.last);
    return now > 0 ? area / now : this.value;
  }
}
