/**
 * Transactional enqueue from every common Postgres client, against a real PostgreSQL:
 * the business write and the job commit together or not at all, a worker runs the committed
 * job, and the NOTIFY sent inside the transaction wakes an idle worker on commit only.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { drizzle as drizzleBunSql } from "drizzle-orm/bun-sql";
import { drizzle as drizzleNodePg } from "drizzle-orm/node-postgres";
import { drizzle as drizzlePostgresJs } from "drizzle-orm/postgres-js";
import { sql as dsql } from "drizzle-orm";
import { Kysely, PostgresDialect, SqliteDialect, sql as ksql } from "kysely";
import pg from "pg";
import postgres from "postgres";
import { ErrorCodes, Soniq, type JobHandle } from "../../src/index.ts";
import { adaptConnection } from "../../src/backends/postgres/connection.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

class Rollback extends Error {}

/**
 * One client: `transaction(body, commit)` opens a transaction with that client, inserts an
 * order through the client's own API, calls `body(connection)` (where the test enqueues), then
 * commits, or throws to roll back.
 */
interface ClientCase {
  name: string;
  open(url: string, app: Soniq): Promise<{
    transaction(orderId: number, body: (connection: unknown) => Promise<void>, commit: boolean, holdMs?: number): Promise<void>;
    close(): Promise<void>;
  }>;
}

/** The three Drizzle drivers share one transaction shape. */
function drizzleCase(
  db: { transaction<T>(fn: (tx: { execute(query: ReturnType<typeof dsql>): Promise<unknown> }) => Promise<T>): Promise<T> },
  close: () => Promise<unknown>,
): Awaited<ReturnType<ClientCase["open"]>> {
  return {
    async transaction(orderId, body, commit, holdMs) {
      await expectRollback(
        db.transaction(async (tx) => runTx(commit, holdMs, async () => {
          await tx.execute(dsql`INSERT INTO orders (id) VALUES (${orderId})`);
          await body(tx);
        })),
        commit,
      );
    },
    close: async () => void (await close()),
  };
}

async function runTx(commit: boolean, holdMs: number | undefined, fn: () => Promise<void>): Promise<void> {
  await fn();
  if (holdMs) await Bun.sleep(holdMs);
  if (!commit) throw new Rollback("roll back");
}

async function expectRollback(p: Promise<unknown>, commit: boolean): Promise<void> {
  if (commit) await p;
  else await expect(p).rejects.toBeInstanceOf(Rollback);
}

const clients: ClientCase[] = [
  {
    name: "postgres.js: Soniq's own app.sql",
    async open(_url, app) {
      return {
        async transaction(orderId, body, commit, holdMs) {
          await expectRollback(
            app.sql.begin(async (tx) => runTx(commit, holdMs, async () => {
              await tx`INSERT INTO orders (id) VALUES (${orderId})`;
              await body(tx);
            })),
            commit,
          );
        },
        close: async () => {},
      };
    },
  },
  {
    name: "postgres.js: the app's own postgres() client",
    async open(url) {
      const sql = postgres(url, { onnotice: () => {} });
      return {
        async transaction(orderId, body, commit, holdMs) {
          await expectRollback(
            sql.begin(async (tx) => runTx(commit, holdMs, async () => {
              await tx`INSERT INTO orders (id) VALUES (${orderId})`;
              await body(tx);
            })),
            commit,
          );
        },
        close: () => sql.end(),
      };
    },
  },
  {
    name: "Bun.sql: new SQL(url).begin(tx => ...)",
    async open(url) {
      const sql = new SQL(url);
      return {
        async transaction(orderId, body, commit, holdMs) {
          await expectRollback(
            sql.begin(async (tx) => runTx(commit, holdMs, async () => {
              await tx`INSERT INTO orders (id) VALUES (${orderId})`;
              await body(tx);
            })),
            commit,
          );
        },
        close: () => sql.close(),
      };
    },
  },
  {
    name: "node-postgres: PoolClient from pool.connect() inside BEGIN/COMMIT",
    async open(url) {
      const pool = new pg.Pool({ connectionString: url });
      return {
        async transaction(orderId, body, commit, holdMs) {
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            await client.query("INSERT INTO orders (id) VALUES ($1)", [orderId]);
            await body(client);
            if (holdMs) await Bun.sleep(holdMs);
            await client.query(commit ? "COMMIT" : "ROLLBACK");
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          } finally {
            client.release();
          }
        },
        close: () => pool.end(),
      };
    },
  },
  {
    name: "node-postgres: pg.Client",
    async open(url) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      return {
        async transaction(orderId, body, commit, holdMs) {
          await client.query("BEGIN");
          try {
            await client.query("INSERT INTO orders (id) VALUES ($1)", [orderId]);
            await body(client);
            if (holdMs) await Bun.sleep(holdMs);
            await client.query(commit ? "COMMIT" : "ROLLBACK");
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          }
        },
        close: () => client.end(),
      };
    },
  },
  {
    name: "Drizzle ORM (postgres-js driver): db.transaction(tx => ...)",
    async open(url) {
      const client = postgres(url, { onnotice: () => {} });
      const db = drizzlePostgresJs({ client });
      return drizzleCase(db, () => client.end());
    },
  },
  {
    name: "Drizzle ORM (node-postgres driver): db.transaction(tx => ...)",
    async open(url) {
      const pool = new pg.Pool({ connectionString: url });
      const db = drizzleNodePg({ client: pool });
      return drizzleCase(db, () => pool.end());
    },
  },
  {
    name: "Drizzle ORM (bun-sql driver): db.transaction(tx => ...)",
    async open(url) {
      const client = new SQL(url);
      const db = drizzleBunSql({ client });
      return drizzleCase(db, () => client.close());
    },
  },
  {
    name: "Kysely (PostgresDialect): db.transaction().execute(trx => ...)",
    async open(url) {
      interface DB {
        orders: { id: number };
      }
      const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
      return {
        async transaction(orderId, body, commit, holdMs) {
          await expectRollback(
            db.transaction().execute(async (trx) => runTx(commit, holdMs, async () => {
              await trx.insertInto("orders").values({ id: orderId }).execute();
              await body(trx);
            })),
            commit,
          );
        },
        close: () => db.destroy(),
      };
    },
  },
];

let app: Soniq;
let url: string;
let invoice: JobHandle<{ orderId: number }, { invoiced: number }>;
let unique: JobHandle<{ key: string }, void>;
let ran: number[] = [];

async function newApp(): Promise<void> {
  url = await freshDatabase();
  // pollInterval 30 s: a job picked up within a few seconds was delivered by NOTIFY, not by polling.
  app = new Soniq({ databaseUrl: url, pollInterval: 30, heartbeatInterval: 0.5, logLevel: "error" });
  ran = [];
  invoice = app.job({ name: "orders.send_invoice", retries: 0 }, async ({ orderId }: { orderId: number }) => {
    ran.push(orderId);
    return { invoiced: orderId };
  });
  unique = app.job({ name: "orders.unique_sync", unique: true }, async (_args: { key: string }) => {});
  await app.sql.unsafe("CREATE TABLE orders (id int PRIMARY KEY)");
}

async function orderCount(): Promise<number> {
  return (await app.sql.unsafe("SELECT count(*)::int AS n FROM orders"))[0]!.n;
}

afterEach(async () => {
  await app?.close();
});

for (const client of clients) {
  describe(`transactional enqueue: ${client.name}`, () => {
    const open = () => client.open(url, app);

    test("commit: the order and its job exist, and a worker runs the job", async () => {
      await newApp();
      const conn = await open();
      try {
        let id = "";
        await conn.transaction(1, async (tx) => {
          id = await app.enqueue(invoice, { orderId: 1 }, { connection: tx });
        }, true);
        expect(await orderCount()).toBe(1);
        expect((await app.getJob(id))?.status).toBe("queued");
        const summary = await app.runWorker({ runOnce: true });
        expect(summary.succeeded).toBe(1);
        expect(ran).toEqual([1]);
        expect(await app.getResult(id)).toEqual({ invoiced: 1 });
      } finally {
        await conn.close();
      }
    });

    test("rollback: neither the order nor the job exists", async () => {
      await newApp();
      const conn = await open();
      try {
        let id = "";
        await conn.transaction(2, async (tx) => {
          id = await app.enqueue(invoice, { orderId: 2 }, { connection: tx });
        }, false);
        expect(id).not.toBe("");
        expect(await orderCount()).toBe(0);
        expect(await app.getJob(id)).toBeNull();
        expect((await app.getQueueStats()).total).toBe(0);
        expect((await app.runWorker({ runOnce: true })).processed).toBe(0);
      } finally {
        await conn.close();
      }
    });

    test("unique jobs, dedup keys and enqueueMany go through the same connection (RETURNING rows come back)", async () => {
      await newApp();
      const conn = await open();
      try {
        const ids: string[] = [];
        const later: string[] = [];
        const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
        await conn.transaction(3, async (tx) => {
          ids.push(await app.enqueue(unique, { key: "a" }, { connection: tx }));
          ids.push(await app.enqueue(unique, { key: "a" }, { connection: tx }));
          ids.push(await app.enqueue(invoice, { orderId: 3 }, { connection: tx, dedupKey: "invoice-3" }));
          ids.push(await app.enqueue(invoice, { orderId: 3 }, { connection: tx, dedupKey: "invoice-3" }));
          ids.push(...(await app.enqueueMany(invoice, [{ orderId: 30 }, { orderId: 31 }], { connection: tx })));
          // Dates travel as parameters too (the shared scheduled_at of a uniform batch).
          later.push(...(await app.enqueueMany(invoice, [{ orderId: 40 }, { orderId: 41 }], { connection: tx, scheduledAt: at })));
          later.push(await app.enqueue(invoice, { orderId: 42 }, { connection: tx, scheduledAt: at, priority: 7 }));
        }, true);
        expect(ids[1]).toBe(ids[0]!);
        expect(ids[3]).toBe(ids[2]!);
        expect((await app.getQueueStats()).queued).toBe(7);
        for (const id of later) {
          const job = await app.getJob(id);
          expect(Math.abs(job!.scheduledAt!.getTime() - at.getTime())).toBeLessThan(1000);
        }
        expect((await app.getJob(later[2]!))?.priority).toBe(7);
        // A rolled-back unique enqueue leaves nothing that blocks the next one.
        let rolledBack = "";
        await conn.transaction(4, async (tx) => {
          rolledBack = await app.enqueue(unique, { key: "b" }, { connection: tx });
        }, false);
        const fresh = await app.enqueue(unique, { key: "b" });
        expect(fresh).not.toBe(rolledBack);
      } finally {
        await conn.close();
      }
    });

    test("an idle worker (poll interval 30 s) wakes on commit through the NOTIFY sent in the transaction", async () => {
      await newApp();
      const conn = await open();
      const worker = app.createWorker({ concurrency: 2, handleSignals: false });
      const running = worker.run();
      try {
        await Bun.sleep(300); // register, LISTEN, first (empty) poll, then sleep 30 s
        // Rolled back: no NOTIFY, no job.
        await conn.transaction(5, async (tx) => {
          await app.enqueue(invoice, { orderId: 5 }, { connection: tx });
        }, false);
        // Committed after holding the transaction open: nothing runs before the commit.
        const started = Date.now();
        await conn.transaction(6, async (tx) => {
          await app.enqueue(invoice, { orderId: 6 }, { connection: tx });
        }, true, 400);
        expect(Date.now() - started).toBeGreaterThanOrEqual(400);
        // Well inside the 30 s poll interval (the next poll is >= 27 s after the worker started):
        // only the NOTIFY can have woken it.
        await waitFor(() => ran.includes(6), { timeout: 15_000, message: "the committed job to run" });
        expect(Date.now() - started).toBeLessThan(15_000);
        expect(ran).toEqual([6]);
      } finally {
        await worker.stop();
        await running;
        await conn.close();
      }
    });
  });
}

describe("transactional enqueue: connections that are refused before anything is written", () => {
  let pool: pg.Pool | undefined;
  let bunSqlite: SQL | undefined;
  let kyselySqlite: Kysely<any> | undefined;

  beforeAll(async () => {
    url = await freshDatabase();
  });
  afterAll(async () => {
    await pool?.end();
    await bunSqlite?.close();
    await kyselySqlite?.destroy();
  });

  const refused = async (connection: unknown, message: RegExp) => {
    const local = new Soniq({ databaseUrl: url, logLevel: "error" });
    try {
      const job = local.job({ name: "refused.job" }, async () => {});
      const error = await local.enqueue(job, {}, { connection }).catch((e) => e);
      expect(error).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
      expect(String(error.message)).toMatch(message);
      // The message names every supported client.
      for (const name of ["postgres.js", "Bun.sql", "node-postgres", "Drizzle", "Kysely"]) expect(String(error.message)).toContain(name);
      expect((await local.getQueueStats()).total).toBe(0);
    } finally {
      await local.close();
    }
  };

  test("non-objects and unknown objects", async () => {
    await refused("postgres://localhost/db", /got string/);
    await refused({ query: () => {} }, /unrecognised connection \(a plain object\)/);
    await refused(new Map(), /unrecognised connection \(a Map\)/);
  });

  test("a pg.Pool (cannot carry a transaction)", async () => {
    pool = new pg.Pool({ connectionString: url });
    await refused(pool, /pg\.Pool cannot carry a transaction.*pool\.connect\(\)/);
  });

  test("Bun.SQL and Kysely on SQLite", async () => {
    bunSqlite = new SQL(":memory:", { adapter: "sqlite" });
    await refused(bunSqlite, /sqlite adapter/);
    const { Database } = await import("bun:sqlite");
    const sqlite = new Database(":memory:");
    kyselySqlite = new Kysely<any>({
      dialect: new SqliteDialect({ database: sqlite as unknown as ConstructorParameters<typeof SqliteDialect>[0]["database"] }),
    });
    await refused(kyselySqlite, /SqliteAdapter/);
  });

  test("adaptConnection reports the client it recognised", async () => {
    const own = postgres(url, { onnotice: () => {} });
    const bunSql = new SQL(url);
    const client = new pg.Client({ connectionString: url });
    const kdb = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
    try {
      expect(adaptConnection(own).client).toBe("postgres.js");
      expect(adaptConnection(bunSql).client).toBe("bun-sql");
      expect(adaptConnection(client).client).toBe("pg");
      expect(adaptConnection(drizzlePostgresJs({ client: own })).client).toBe("drizzle");
      expect(adaptConnection(kdb).client).toBe("kysely");
      // Parameters are bound, never spliced into the text.
      const rows = await adaptConnection(own).query("SELECT $1::text AS v", ["'; DROP TABLE orders; --"]);
      expect(rows).toEqual([{ v: "'; DROP TABLE orders; --" }]);
      const krows = await adaptConnection(kdb).query("SELECT $1::text AS v, $2::int AS n", ["x", 2]);
      expect(krows).toEqual([{ v: "x", n: 2 }]);
      await kdb.transaction().execute(async (trx) => {
        expect((await ksql<{ one: number }>`SELECT 1 AS one`.execute(trx)).rows).toEqual([{ one: 1 }]);
      });
    } finally {
      await own.end();
      await bunSql.close();
      await kdb.destroy();
    }
  });
});
