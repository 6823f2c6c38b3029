/**
 * In-process new-job wake-ups for the backends without LISTEN/NOTIFY (memory, SQLite).
 * Like the Postgres backend, notifications are coalesced: one wake-up per queue per burst
 * of enqueues, delivered on the next turn of the event loop, never inside the enqueue call.
 */
export class LocalNotifier {
  private readonly listeners = new Set<(queue: string) => void>();
  private readonly pending = new Set<string>();
  private scheduled = false;

  get listenerCount(): number {
    return this.listeners.size;
  }

  notify(queue: string): void {
    if (this.listeners.size === 0) return;
    this.pending.add(queue);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Deliver what is pending now (also used on close, as Postgres flushes its NOTIFYs). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const queues = [...this.pending];
    this.pending.clear();
    for (const queue of queues) {
      for (const listener of [...this.listeners]) {
        try {
          listener(queue);
        } catch {
          // A listener's failure must not stop the others or escape into setImmediate; workers also poll.
        }
      }
    }
  }

  subscribe(listener: (queue: string) => void): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (queue: string) => listener(queue);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  clear(): void {
    this.listeners.clear();
    this.pending.clear();
  }
}
