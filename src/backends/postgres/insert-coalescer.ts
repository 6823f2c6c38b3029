import type { NewJob } from "../types.ts";

interface Pending {
  job: NewJob;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for single enqueues: calls that arrive while earlier inserts are in flight are
 * written together in one statement (one round trip, one commit, one NOTIFY per queue). An idle
 * enqueue goes out on the next microtask, so batching never adds latency when there is no load.
 * Each caller's promise settles with its batch: resolved once the rows are committed.
 */
export class InsertCoalescer {
  private pending: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: (jobs: NewJob[]) => Promise<void>,
    private readonly maxBatch = 1000,
    private readonly maxInFlight = 2,
  ) {}

  add(job: NewJob): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.pending.length === 0) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    this.write(batch.map((p) => p.job)).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (error) => {
        for (const p of batch) p.reject(error);
      },
    ).finally(() => {
      this.inFlight--;
      this.schedule();
    });
    this.schedule();
  }
}
