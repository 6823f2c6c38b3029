/**
 * The memory backend's equivalent of the claim index: queued jobs per queue, in claim order
 * (priority, run time, id), so a claim costs O(limit log n) instead of a scan of every job.
 *
 * Each queue keeps two heaps: `ready` (due jobs, claim order) and `later` (future jobs, run-time
 * order). A claim first promotes what has become due, then merges the ready heaps of the wanted
 * queues. Removal (cancel, delete) is lazy: an entry is live only while its job still carries the
 * entry's token, so stale entries are skipped when they surface.
 */

export interface Claimable {
  readonly id: string;
  readonly priority: number;
  readonly runAt: number;
  /** The token of the live entry, or 0 when the job is not in the index. */
  indexToken: number;
}

interface Entry<T extends Claimable> {
  job: T;
  token: number;
}

type Cmp<T> = (a: T, b: T) => number;

class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly cmp: Cmp<T>) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.cmp(a[i]!, a[parent]!) >= 0) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && this.cmp(a[l]!, a[m]!) < 0) m = l;
      if (r < a.length && this.cmp(a[r]!, a[m]!) < 0) m = r;
      if (m === i) break;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
    return top;
  }
}

export function claimOrder(a: Claimable, b: Claimable): number {
  return a.priority - b.priority || a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const byRunAt = <T extends Claimable>(a: Entry<T>, b: Entry<T>) => a.job.runAt - b.job.runAt;
const byClaim = <T extends Claimable>(a: Entry<T>, b: Entry<T>) => claimOrder(a.job, b.job);

class QueueHeaps<T extends Claimable> {
  readonly ready = new MinHeap<Entry<T>>(byClaim);
  readonly later = new MinHeap<Entry<T>>(byRunAt);

  promote(now: number): void {
    for (let e = this.later.peek(); e && e.job.runAt <= now; e = this.later.peek()) {
      this.later.pop();
      if (live(e)) this.ready.push(e);
    }
  }

  /** The best live due entry, dropping stale ones on the way. */
  head(): Entry<T> | undefined {
    for (let e = this.ready.peek(); e; e = this.ready.peek()) {
      if (live(e)) return e;
      this.ready.pop();
    }
    return undefined;
  }
}

function live<T extends Claimable>(e: Entry<T>): boolean {
  return e.job.indexToken === e.token;
}

export class ClaimIndex<T extends Claimable> {
  private readonly queues = new Map<string, QueueHeaps<T>>();
  private nextToken = 1;

  /** Add a queued job. Its priority, runAt and id must not change until `remove`. */
  add(queue: string, job: T, now: number): void {
    let heaps = this.queues.get(queue);
    if (!heaps) {
      heaps = new QueueHeaps<T>();
      this.queues.set(queue, heaps);
    }
    const entry = { job, token: this.nextToken++ };
    job.indexToken = entry.token;
    (job.runAt <= now ? heaps.ready : heaps.later).push(entry);
  }

  remove(job: T): void {
    job.indexToken = 0;
  }

  /** Up to `limit` due jobs in claim order, removed from the index. `null` queues = all queues. */
  take(queues: readonly string[] | null, limit: number, now: number): T[] {
    const heaps: QueueHeaps<T>[] = [];
    for (const name of queues === null ? this.queues.keys() : new Set(queues)) {
      const h = this.queues.get(name);
      if (h) {
        h.promote(now);
        heaps.push(h);
      }
    }
    const taken: T[] = [];
    while (taken.length < limit) {
      let best: QueueHeaps<T> | undefined;
      let bestEntry: Entry<T> | undefined;
      for (const h of heaps) {
        const e = h.head();
        if (e && (!bestEntry || claimOrder(e.job, bestEntry.job) < 0)) {
          best = h;
          bestEntry = e;
        }
      }
      if (!best || !bestEntry) break;
      best.ready.pop();
      this.remove(bestEntry.job);
      taken.push(bestEntry.job);
    }
    return taken;
  }

  clear(): void {
    this.queues.clear();
  }
}
