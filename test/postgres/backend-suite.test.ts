/**
 * The shared backend suite (test/unit/backend-suite.ts) on the real Postgres backend, twice:
 * the default configuration (prepared statements, LISTEN/NOTIFY), and the way a transaction-mode
 * pooler (PgBouncer, Supavisor) user runs it: no prepared statements and no LISTEN (poll only).
 * Each test gets its own freshly migrated database.
 */
import { PostgresBackend, type PostgresBackendOptions } from "../../src/backends/postgres/index.ts";
import { freshDatabase } from "../helpers/db.ts";
import { backendSuite } from "../unit/backend-suite.ts";

function postgresCase(name: string, options: Omit<PostgresBackendOptions, "url">, traits: { listen: boolean }) {
  backendSuite(
    name,
    async () => {
      // Constructed as src/backends/resolve.ts does for a postgres:// URL.
      const b = new PostgresBackend({ url: await freshDatabase(), ...options });
      await b.initialize();
      return b;
    },
    (b) => b.close(),
    traits,
  );
}

postgresCase("postgres", { maxConnections: 10, minConnections: 1, preparedStatements: true, listen: true }, { listen: true });
postgresCase("postgres (pooler: no prepared statements, no LISTEN)", { maxConnections: 10, minConnections: 1, preparedStatements: false, listen: false }, { listen: false });
