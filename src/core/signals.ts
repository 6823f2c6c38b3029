/**
 * The shutdown rule every long-running Soniq process follows (worker, scheduler, dashboard,
 * `soniq worker`/`scheduler`/`dashboard`):
 *
 * - the **first** SIGINT, SIGTERM or SIGHUP starts a graceful stop (`onFirst`): stop taking new
 *   work, finish or hand back what is running, then let the process end by itself;
 * - **any later** one of them forces it (`onSecond`): give back what is claimed, at once, and exit.
 *
 * SIGHUP counts because a closed terminal or SSH session sends it, and its default action kills
 * the process with no drain at all.
 *
 * ```ts
 * const remove = onShutdownSignals({
 *   onFirst: (signal) => void worker.stop(),
 *   onSecond: (signal) => forceExit(() => worker.abandon()), // exit 130 within 2 s
 * });
 * await worker.run();
 * remove();
 * ```
 */

/** The signals that stop a long-running process. */
export const SHUTDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/** The exit code after a forced stop (128 + SIGINT, as shells report Ctrl-C). */
export const FORCED_EXIT_CODE = 130;

export interface ShutdownHandlers {
  /** The first signal: begin a graceful stop. Do not exit here; let the stopped work end the process. */
  onFirst(signal: ShutdownSignal): void;
  /** Every later signal (usually only the second matters). Default: `process.exit(130)` at once. */
  onSecond?(signal: ShutdownSignal): void;
}

/**
 * Handle SIGINT, SIGTERM and SIGHUP: the first calls `onFirst`, every later one `onSecond`.
 * Returns a function that removes the handlers (safe to call more than once); after it, the
 * signals have their default effect again unless something else listens.
 */
export function onShutdownSignals(handlers: ShutdownHandlers): () => void {
  let received = 0;
  const listener = (signal: NodeJS.Signals) => {
    received++;
    const name = signal as ShutdownSignal;
    if (received === 1) handlers.onFirst(name);
    else if (handlers.onSecond) handlers.onSecond(name);
    else process.exit(FORCED_EXIT_CODE);
  };
  for (const signal of SHUTDOWN_SIGNALS) process.on(signal, listener);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const signal of SHUTDOWN_SIGNALS) process.off(signal, listener);
  };
}

/**
 * Run `cleanup` (e.g. `worker.abandon()`, which requeues every claimed job), then exit with
 * `code` (130); exit anyway after `timeoutMs` (2000) if it hangs, e.g. on a dead database.
 * Calling it again while it runs does nothing more.
 */
let forcing = false;
export function forceExit(cleanup: () => unknown, { code = FORCED_EXIT_CODE, timeoutMs = 2000 }: { code?: number; timeoutMs?: number } = {}): void {
  if (forcing) return;
  forcing = true;
  const exit = () => process.exit(code);
  // Not unref'd: the process must end with `code`, not 0 because the event loop ran dry.
  setTimeout(exit, timeoutMs);
  Promise.resolve()
    .then(cleanup)
    .catch(() => {})
    .finally(exit);
}
