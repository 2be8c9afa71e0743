/**
 * The retry budget of a Linkerd ServiceProfile: tower's `TpsBudget(ttl, min_per_sec, ratio)`
 * (tower-rs/tower tower/src/retry/budget/tps_budget.rs) as linkerd2-proxy uses it
 * (linkerd/linkerd2-proxy linkerd/app/outbound/src/http/retry.rs): one budget per profile per
 * client proxy, shared by all routes of the Service.
 *
 * Mechanics (tower): for ratio ≤ 1 a deposit is 1 token and a withdrawal costs ⌊1/ratio⌋ tokens
 * (0.2 → 5); a fixed reserve of min_per_sec × ttl_seconds × cost tokens (10 × 10 × 5 = 500) pays
 * for min_per_sec "free" retries per second; deposits and withdrawals land in 10 slots of ttl/10
 * each and expire after ttl; a retry is allowed iff reserve + live balance ≥ cost. Linkerd
 * deposits once per request that ends without a retry being attempted for it; a refused retry
 * deposits nothing. Net effect: retries ≤ ratio × requests + min_per_sec × ttl per ttl window
 * (https://linkerd.io/2-edge/reference/service-profiles/ "retryBudget").
 *
 * Slots are aligned to the budget's creation time (tower rotates at the first access after a
 * window; the difference is under one slot). Times are simulated microseconds.
 */

export interface RetryBudgetConfig {
  retryRatio: number;
  minRetriesPerSecond: number;
  ttlUs: number;
}

const SLOTS = 10;

export class RetryBudget {
  readonly depositAmount: number;
  readonly withdrawAmount: number;
  readonly reserve: number;
  private readonly slotUs: number;
  private readonly slots = new Float64Array(SLOTS);
  private currentSlot = 0;
  /** Counters for metrics/tests. */
  allowed = 0;
  refused = 0;

  constructor(
    readonly config: RetryBudgetConfig,
    private readonly startUs = 0,
  ) {
    const ratio = config.retryRatio;
    // tps_budget.rs: ratio 0 → deposit 0 / withdraw 1; ratio ≤ 1 → 1 / ⌊1/ratio⌋; ratio > 1 → 1000 / ⌊1000/ratio⌋.
    if (ratio === 0) [this.depositAmount, this.withdrawAmount] = [0, 1];
    else if (ratio <= 1) [this.depositAmount, this.withdrawAmount] = [1, Math.floor(1 / ratio)];
    else [this.depositAmount, this.withdrawAmount] = [1000, Math.floor(1000 / ratio)];
    const ttlSeconds = Math.floor(config.ttlUs / 1_000_000);
    this.reserve = config.minRetriesPerSecond * ttlSeconds * this.withdrawAmount;
    this.slotUs = config.ttlUs / SLOTS;
  }

  /** Moves to the slot of `nowUs`, clearing the slots that expired on the way. */
  private advance(nowUs: number): void {
    const slot = Math.floor((nowUs - this.startUs) / this.slotUs);
    if (slot <= this.currentSlot) return;
    const steps = Math.min(slot - this.currentSlot, SLOTS);
    for (let i = 1; i <= steps; i++) this.slots[(this.currentSlot + i) % SLOTS] = 0;
    this.currentSlot = slot;
  }

  private balance(): number {
    let sum = this.reserve;
    for (const v of this.slots) sum += v;
    return sum;
  }

  /** A request finished without needing a retry (Linkerd's deposit point). */
  deposit(nowUs: number): void {
    this.advance(nowUs);
    const i = this.currentSlot % SLOTS;
    this.slots[i] = this.slots[i]! + this.depositAmount;
  }

  /** Asks for one retry: true (and the tokens are taken) or false (budget exhausted). */
  tryWithdraw(nowUs: number): boolean {
    this.advance(nowUs);
    if (this.balance() >= this.withdrawAmount) {
      const i = this.currentSlot % SLOTS;
      this.slots[i] = this.slots[i]! - this.withdrawAmount;
      this.allowed++;
      return true;
    }
    this.refused++;
    return false;
  }
}
