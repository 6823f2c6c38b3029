/**
 * Starts a throwaway PostgreSQL for the whole `bun test` run (test/helpers/embedded-pg.ts), unless
 * SONIQ_TEST_DATABASE_URL points at one. Tests get their own database from test/helpers/db.ts.
 *
 * If the server cannot start, print why and exit 1 at once: a throw here would surface as an
 * "Unhandled error between tests" and leave `bun test` running without the database.
 * SONIQ_TEST_PG_FORCE_FAIL=1 forces that path (test/preload/preload.test.ts checks it).
 */
import { afterAll, setDefaultTimeout } from "bun:test";
import { startTestPostgres, TestPostgresError } from "./helpers/embedded-pg.ts";

process.env.SONIQ_LOG_LEVEL ??= "error";
// Real-Postgres tests wait on real workers; 5 s is too tight on a loaded 2-core machine.
setDefaultTimeout(30_000);

if (!process.env.SONIQ_TEST_DATABASE_URL) {
  try {
    const cluster = await startTestPostgres({ durable: false });
    process.env.SONIQ_TEST_DATABASE_URL = cluster.url;
    afterAll(async () => {
      await cluster.stop();
    });
  } catch (e) {
    process.stderr.write(e instanceof TestPostgresError ? e.message : `\nSoniq: could not start the throwaway PostgreSQL server for the tests: ${e instanceof Error ? e.stack : e}\nSet SONIQ_TEST_DATABASE_URL to use an existing server instead.\n`);
    process.exit(1);
  }
}
