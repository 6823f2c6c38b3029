/**
 * How many claimed jobs a worker keeps ready beyond its free slots. Given explicitly (the
 * `prefetch` option or setting), it is fixed. Otherwise it follows the work: enough jobs to cover
 * a few claim round trips at the rate jobs finish, never fewer than `concurrency` (what a worker
 * that runs long jobs holds) and never more than `max`. A worker burning through short jobs
 * claims in large batches; a worker on slow jobs does not hoard them from the others.
 */
export class Prefetch {
  /** Claim round trips the buffer should cover. */
  private static readonly ROUND_TRIPS = 4;
  private rate = 0; // jobs finished per second, smoothed
  private claimMs = 5; // claim round trip, smoothed
  private finished = 0;
  private since = performance.now();
  private current: number;

  private constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly adaptive: boolean,
  ) {
    this.current = min;
  }

  static fixed(value: number): Prefetch {
    return new Prefetch(value, value, false);
  }

  static adaptive(concurrency: number, max: number): Prefetch {
    return new Prefetch(concurrency, Math.max(concurrency, max), true);
  }

  /** The largest value it can take (bounds what a worker may hold). */
  get ceiling(): number {
    return this.max;
  }

  get value(): number {
    return this.current;
  }

  jobFinished(): void {
    this.finished++;
  }

  /** Called after each claim with its round trip: updates the rate and the target. */
  claimed(roundTripMs: number): void {
    if (!this.adaptive) return;
    this.claimMs = this.claimMs * 0.7 + roundTripMs * 0.3;
    const now = performance.now();
    const elapsed = now - this.since;
    if (elapsed < 20) return;
    const instant = (this.finished * 1000) / elapsed;
    this.rate = this.rate === 0 ? instant : this.rate * 0.5 + instant * 0.5;
    this.finished = 0;
    this.since = now;
    const wanted = Math.ceil((this.rate * this.claimMs * Prefetch.ROUND_TRIPS) / 1000);
    this.current = Math.min(this.max, Math.max(this.min, wanted));
  }
}
