/** Helpers for the dashboard tests: requests against a dashboard handler, dead letters, a browser. */
import type { Dashboard } from "../../src/dashboard/index.ts";
import type { Soniq } from "../../src/index.ts";

export const ORIGIN = "http://dash.test";

type Init = Omit<RequestInit, "headers"> & { headers?: Record<string, string> };

/** A same-origin request the way a browser sends it (Origin + Sec-Fetch-Site), unless headers say otherwise. */
export function request(path: string, init: Init = {}): Request {
  const method = init.method ?? "GET";
  const headers: Record<string, string> = { host: "dash.test", ...(method !== "GET" ? { origin: ORIGIN, "sec-fetch-site": "same-origin" } : {}), ...(init.headers ?? {}) };
  for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
  return new Request(`${ORIGIN}${path}`, { ...init, method, headers });
}

/** Call the handler; the client is on this machine (`peer`, as Bun's server would report it) unless told otherwise. */
export async function call(dash: Dashboard, path: string, init: Init = {}, peer: Parameters<Dashboard["fetch"]>[1] = "127.0.0.1") {
  const res = await dash.fetch(request(path, init), peer);
  const type = res.headers.get("content-type") ?? "";
  const body: any = type.includes("json") ? await res.json() : await res.text();
  return { status: res.status, body, headers: res.headers };
}

/** A job that always fails, with no retries: one worker pass dead-letters it. */
export function failingJob(app: Soniq, name = "t.fails") {
  return app.job({ name, retries: 0 }, async () => {
    throw new Error("boom: it broke");
  });
}

/** Enqueue `count` failing jobs on queue "failing" and run a worker on that queue: they end dead-lettered. Returns their ids. */
export async function deadLetters(app: Soniq, count: number, args: (i: number) => Record<string, unknown> = (i) => ({ n: i }), name = "t.fails"): Promise<string[]> {
  const job = app.getDefinition(name) ? { name } : failingJob(app, name);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await app.enqueue(job.name, args(i), { queue: "failing" }));
  await app.runWorker({ runOnce: true, concurrency: 1, queues: ["failing"] });
  return ids;
}
