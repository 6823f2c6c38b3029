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
 * Each caller's promise settles with its own row: resolved once it is committed.
 *
 * A group never shares one caller's failure with the others: rows are validated before they
 * join (see Soniq.buildJob), and when the database refuses a group statement, its rows are
 * written again one by one so that each caller gets its own answer. Only a transient failure
 * (the connection, not the data) is given to the whole group at once. At most `maxPending`
 * rows wait; further callers wait for room (backpressure). `drain()` settles everything.
 */
export class InsertCoalescer {
  private pending: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private room: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(
    private readonly write: (jobs: NewJob[]) => Promise<void>,
    private readonly isTransient: (error: unknown) => boolean,
    private readonly maxBatch = 1000,
    private readonly maxInFlight = 2,
    private readonly maxPending = 10_000,
  ) {}

  async add(job: NewJob): Promise<void> {
    while (this.pending.length >= this.maxPending) await new Promise<void>((resolve) => this.room.push(resolve));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ job, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every row handed to `add` so far is written or rejected. */
  drain(): Promise<void> {
    if (this.pending.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idle.push(resolve));
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
    for (const wake of this.room.splice(0, batch.length)) wake();
    this.inFlight++;
    this.writeGroup(batch).finally(() => {
      this.inFlight--;
      this.schedule();
      if (this.pending.length === 0 && this.inFlight === 0) for (const done of this.idle.splice(0)) done();
    });
    this.schedule();
  }

  private async writeGroup(batch: Pending[]): Promise<void> {
    try {
      await this.write(batch.map((p) => p.job));
      for (const p of batch) p.resolve();
      return;
    } catch (error) {
      if (batch.length === 1 || this.isTransient(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
    }
    // The database refused the group: one statement per row, so only the offending caller fails.
    await Promise.all(
      batch.map((p) =>
        this.write([p.job]).then(
          () => p.resolve(),
          (error) => p.reject(error),
        ),
      ),
    );
  }
}
