import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Soniq, type SoniqOptions } from "../../src/index.ts";
import { freshDatabase } from "../helpers/db.ts";

export interface BackendCase {
  name: "postgres" | "sqlite" | "memory";
  url(): Promise<string>;
}

/** The three backends every contract test runs against, unchanged. */
export const BACKENDS: BackendCase[] = [
  { name: "postgres", url: () => freshDatabase() },
  { name: "sqlite", url: async () => join(mkdtempSync(join(tmpdir(), "soniq-sqlite-")), "soniq.db") },
  { name: "memory", url: async () => "memory:" },
];

export async function contractApp(backend: BackendCase, options: SoniqOptions = {}): Promise<Soniq> {
  const app = new Soniq({
    databaseUrl: await backend.url(),
    pollInterval: 0.05,
    heartbeatInterval: 0.2,
    errorRetryDelay: 0.05,
    logLevel: "error",
    ...options,
  });
  await app.setup();
  return app;
}
