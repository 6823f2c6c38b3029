import type { HeartbeatThreadSpec, StorageBackend } from "../backends/types.ts";
import type { Logger } from "../core/logger.ts";

/**
 * A worker's heartbeat. Where the backend can (PostgreSQL, file SQLite), it runs on its own
 * thread with its own connection, so a handler that blocks the event loop (CPU-bound work, a
 * synchronous call) is not taken for a dead worker. The event loop still pings the thread every
 * interval: once it has not answered for `stallLimitSeconds`, the thread stops beating and the
 * worker counts as dead (its jobs are rescued). Elsewhere the heartbeat runs on the event loop.
 */
export interface Heartbeat {
  /** True when beats come from their own thread (the worker row says so: `metadata.heartbeat = "thread"`). */
  readonly threaded: boolean;
  stop(): Promise<void>;
}

export interface HeartbeatOptions {
  backend: StorageBackend;
  /** Use the backend's heartbeat thread when it has one (false: always on the event loop). */
  threaded: boolean;
  workerId: string;
  intervalSeconds: number;
  stallLimitSeconds: number;
  logger: Logger;
  /** What the worker row's metadata should say now (running and buffered jobs, ...). */
  metadata: () => Record<string, unknown>;
}

/** The thread's side of the protocol; a backend's `prelude` defines `open(config)` (see HeartbeatThreadSpec). */
const THREAD_LOOP = `
let store = null, timer = null, config = null, lastPing = Date.now(), metadata = null, stalled = false;
const beat = async () => {
  if (Date.now() - lastPing > config.stallLimitMs) {
    if (!stalled) postMessage({ type: "stalled" });
    stalled = true;
    return;
  }
  stalled = false;
  try { await store.beat(config.workerId, metadata); } catch (error) { postMessage({ type: "error", message: String(error && error.message || error) }); }
};
self.onmessage = async ({ data }) => {
  if (data.type === "start") {
    config = data;
    metadata = data.metadata;
    try { store = await open(config); } catch (error) { postMessage({ type: "failed", message: String(error && error.message || error) }); return; }
    lastPing = Date.now();
    await beat();
    timer = setInterval(beat, config.intervalMs);
    postMessage({ type: "started" });
  } else if (data.type === "alive") {
    lastPing = Date.now();
    metadata = data.metadata;
  } else if (data.type === "stop") {
    if (timer) clearInterval(timer);
    try { if (store) await store.close(); } catch {}
    postMessage({ type: "stopped" });
  }
};
`;

export async function startHeartbeat(options: HeartbeatOptions): Promise<Heartbeat> {
  const spec = options.threaded ? options.backend.heartbeatThread() : null;
  if (spec) {
    try {
      return await startThread(spec, options);
    } catch (error) {
      options.logger.warn("heartbeat thread unavailable; heartbeating on the event loop", { error });
    }
  }
  return startOnLoop(options);
}

function startOnLoop({ backend, workerId, intervalSeconds, logger, metadata }: HeartbeatOptions): Heartbeat {
  const timer = setInterval(() => {
    backend.heartbeat(workerId, metadata()).catch((error) => logger.warn("heartbeat failed", { error }));
  }, intervalSeconds * 1000);
  return {
    threaded: false,
    async stop() {
      clearInterval(timer);
    },
  };
}

async function startThread(spec: HeartbeatThreadSpec, options: HeartbeatOptions): Promise<Heartbeat> {
  const { workerId, intervalSeconds, stallLimitSeconds, logger, metadata } = options;
  const url = URL.createObjectURL(new Blob([`${spec.prelude}\n${THREAD_LOOP}`], { type: "application/javascript" }));
  const thread = new Worker(url);
  thread.unref(); // the worker's own loop keeps the process alive while it runs, never the heartbeat
  let onStopped: (() => void) | null = null;
  let lastWarning = 0;
  const started = new Promise<void>((resolve, reject) => {
    thread.onmessage = ({ data }: MessageEvent<{ type: string; message?: string }>) => {
      if (data.type === "started") resolve();
      else if (data.type === "failed") reject(new Error(data.message));
      else if (data.type === "stopped") onStopped?.();
      else if (data.type === "stalled") {
        logger.error("the event loop did not answer the heartbeat thread for too long: heartbeats stopped, this worker's jobs will be rescued", {
          workerId,
          stallLimitSeconds,
        });
      } else if (data.type === "error" && Date.now() - lastWarning > 60_000) {
        lastWarning = Date.now(); // one warning a minute through an outage, not one per beat
        logger.warn("heartbeat failed", { error: data.message });
      }
    };
    thread.onerror = (event) => reject(new Error(event.message));
  });
  thread.postMessage({
    type: "start",
    workerId,
    intervalMs: intervalSeconds * 1000,
    stallLimitMs: stallLimitSeconds * 1000,
    metadata: JSON.stringify(metadata()),
    ...spec.config,
  });
  try {
    await started;
  } catch (error) {
    thread.terminate();
    URL.revokeObjectURL(url);
    throw error;
  }
  const ping = setInterval(() => {
    thread.postMessage({ type: "alive", metadata: JSON.stringify(metadata()) });
  }, Math.max(50, (intervalSeconds * 1000) / 2));
  return {
    threaded: true,
    async stop() {
      clearInterval(ping);
      const stopped = new Promise<void>((resolve) => (onStopped = resolve));
      thread.postMessage({ type: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      thread.terminate();
      URL.revokeObjectURL(url);
    },
  };
}
