/**
 * Transactional enqueue from the app's own Postgres client.
 *
 * `app.enqueue(job, args, { connection })` runs its INSERT (and the NOTIFY that wakes workers) on
 * the connection the caller passes, inside the caller's transaction: the job exists iff that
 * transaction commits, and the NOTIFY is delivered by Postgres on commit only. Every statement
 * involved is fixed SQL text with `$1` placeholders and string/number/null/Date parameters, so any
 * client that can run a parameterised query can carry it. This module recognises the common
 * clients by shape (none of them is a dependency of Soniq) and wraps each behind one interface:
 *
 * - postgres.js: `sql`, `sql.begin(tx => ...)`, `sql.reserve()`, including Soniq's own `app.sql`
 *   (`unsafe(text, params)`)
 * - Bun.sql: `new SQL(url)`, `sql.begin(tx => ...)`, `sql.reserve()` (`unsafe(text, params)`)
 * - node-postgres (`pg`): a `Client`, or a `PoolClient` from `await pool.connect()` (`query(text, params)` -> `{ rows }`).
 *   A `pg.Pool` is refused: it runs each query on whichever connection is free, so it cannot carry a transaction.
 * - Drizzle ORM (PostgreSQL drivers: postgres-js, node-postgres, bun-sql, ...): `db.transaction(tx => ...)`;
 *   the statement runs on the driver client the transaction holds.
 * - Kysely (PostgreSQL dialects): `db.transaction().execute(trx => ...)`, via `trx.executeQuery` with a compiled query.
 *
 * Anything else throws `SONIQ_INVALID_ARGUMENT` before anything is written.
 */
import { ErrorCodes, SoniqError } from "../../errors.ts";

/** One parameterised statement on the caller's connection; returns the result rows. */
export interface PgConnectionAdapter {
  /** The client that was recognised. */
  readonly client: PgClientKind;
  query(text: string, params: unknown[]): Promise<Record<string, unknown>[]>;
}

export type PgClientKind = "postgres.js" | "bun-sql" | "pg" | "drizzle" | "kysely";

export const SUPPORTED_CONNECTIONS =
  "postgres.js (a transaction from sql.begin(tx => ...) or app.sql.begin(...), or a reserved connection), " +
  "Bun.sql (a transaction from new SQL(url).begin(tx => ...)), " +
  "node-postgres (a pg.Client, or the PoolClient from await pool.connect() inside BEGIN ... COMMIT), " +
  "Drizzle ORM on PostgreSQL (the tx of db.transaction(async (tx) => ...)), " +
  "Kysely on PostgreSQL (the trx of db.transaction().execute(async (trx) => ...))";

type Rows = Record<string, unknown>[];
type AnyObject = Record<PropertyKey, any>;

const DRIZZLE_ENTITY_KIND = Symbol.for("drizzle:entityKind");

function invalid(problem: string, connection: unknown): SoniqError {
  return new SoniqError(
    ErrorCodes.INVALID_ARGUMENT,
    `${problem}. The connection option takes a transaction from one of: ${SUPPORTED_CONNECTIONS}`,
    { received: describe(connection) },
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object" && typeof value !== "function") return typeof value;
  const name = (value as AnyObject).constructor?.name;
  return typeof value === "function" ? "a function" : name && name !== "Object" ? `a ${name}` : "a plain object";
}

function isFn(value: unknown): value is (...args: any[]) => any {
  return typeof value === "function";
}

/** The drizzle entity kinds of a value's class chain (`["PostgresJsTransaction", "PgTransaction", "PgDatabase"]`), empty if not drizzle. */
function drizzleKinds(value: AnyObject): string[] {
  const kinds: string[] = [];
  let cls = Object.getPrototypeOf(value)?.constructor;
  while (cls && cls !== Object && cls !== Function.prototype) {
    if (Object.prototype.hasOwnProperty.call(cls, DRIZZLE_ENTITY_KIND)) kinds.push(String(cls[DRIZZLE_ENTITY_KIND]));
    cls = Object.getPrototypeOf(cls);
  }
  return kinds;
}

/**
 * Dates as ISO 8601 strings (our timestamps go to timestamptz, so the text is unambiguous). Some
 * clients do not take Date parameters: Drizzle's postgres-js driver replaces the client's date
 * serializers (on the very postgres.js client you pass it) with pass-through functions.
 */
function normalizeParams(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p instanceof Date ? p.toISOString() : p));
}

function asRows(result: unknown, client: PgClientKind): Rows {
  if (Array.isArray(result)) return result as Rows;
  const rows = (result as { rows?: unknown } | null | undefined)?.rows;
  if (Array.isArray(rows)) return rows as Rows;
  throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `the ${client} connection returned no rows array for a query (got ${describe(result)})`);
}

/** Recognise a Postgres client (see the module comment) and wrap it; throws `SONIQ_INVALID_ARGUMENT` for anything else. */
export function adaptConnection(connection: unknown): PgConnectionAdapter {
  if (connection === null || (typeof connection !== "object" && typeof connection !== "function")) {
    throw invalid(`connection must be a database transaction, got ${describe(connection)}`, connection);
  }
  const c = connection as AnyObject;

  // Kysely: Kysely / Transaction instances have executeQuery(compiledQuery) and getExecutor().
  if (isFn(c.executeQuery) && isFn(c.getExecutor)) return kyselyAdapter(c);

  // Drizzle: PgDatabase / PgTransaction; the transaction's session holds the driver client on its connection.
  const kinds = drizzleKinds(c);
  if (kinds.length > 0) return drizzleAdapter(c, kinds);

  // postgres.js and Bun.sql: tagged-template functions with unsafe(text, params) resolving to an array of rows.
  if (isFn(c.unsafe)) return unsafeAdapter(c);

  // node-postgres: Client / PoolClient (query(text, values) -> { rows }); also pg-compatible clients (Neon, Vercel).
  if (isFn(c.query) && isFn(c.connect)) return pgAdapter(c);

  throw invalid(`unrecognised connection (${describe(connection)})`, connection);
}

function unsafeAdapter(c: AnyObject): PgConnectionAdapter {
  // Bun.SQL carries its adapter name; it also speaks MySQL and SQLite, which cannot run our SQL.
  const adapter = c.options && typeof c.options === "object" ? c.options.adapter : undefined;
  if (typeof adapter === "string" && !/^postgres(ql)?$/i.test(adapter)) {
    throw invalid(`this Bun.SQL client uses the ${adapter} adapter; Soniq's tables live in PostgreSQL`, c);
  }
  const client: PgClientKind = typeof adapter === "string" ? "bun-sql" : "postgres.js";
  return {
    client,
    async query(text, params) {
      return asRows(await c.unsafe(text, normalizeParams(params)), client);
    },
  };
}

function pgAdapter(c: AnyObject): PgConnectionAdapter {
  if (typeof c.totalCount === "number" && typeof c.idleCount === "number") {
    throw invalid(
      "a pg.Pool cannot carry a transaction (each pool.query may run on a different connection): " +
        "use const client = await pool.connect(), run BEGIN on it, pass { connection: client }, then COMMIT and client.release()",
      c,
    );
  }
  return {
    client: "pg",
    async query(text, params) {
      return asRows(await c.query(text, normalizeParams(params)), "pg");
    },
  };
}

function drizzleAdapter(c: AnyObject, kinds: string[]): PgConnectionAdapter {
  if (!kinds.includes("PgDatabase")) {
    throw invalid(`this Drizzle database is not PostgreSQL (${kinds[0]})`, c);
  }
  const driverClient = c.session?.client;
  if (driverClient === undefined || driverClient === null || driverClient === c) {
    throw invalid(`this Drizzle driver (${kinds[0]}) does not expose the connection its transaction runs on`, c);
  }
  let inner: PgConnectionAdapter;
  try {
    inner = adaptConnection(driverClient);
  } catch {
    throw invalid(`the driver client under this Drizzle ${kinds[0]} (${describe(driverClient)}) is not a supported Postgres client`, c);
  }
  return { client: "drizzle", query: (text, params) => inner.query(text, params) };
}

let kyselyQueryCounter = 0;

function kyselyAdapter(c: AnyObject): PgConnectionAdapter {
  const adapter = isFn(c.getExecutor) ? c.getExecutor()?.adapter : undefined;
  const adapterName: string | undefined = adapter?.constructor?.name;
  if (adapterName && /(Mysql|Sqlite|Mssql)Adapter$/i.test(adapterName)) {
    throw invalid(`this Kysely instance uses ${adapterName}; Soniq's tables live in PostgreSQL`, c);
  }
  return {
    client: "kysely",
    async query(text, params) {
      // A CompiledQuery as kysely's CompiledQuery.raw(text, params) builds it: the text is sent as is, params bound.
      const compiled = Object.freeze({
        sql: text,
        query: Object.freeze({ kind: "RawNode", sqlFragments: Object.freeze([text]), parameters: Object.freeze([]) }),
        parameters: Object.freeze(normalizeParams(params)),
        queryId: Object.freeze({ queryId: `soniq-${++kyselyQueryCounter}` }),
      });
      return asRows(await c.executeQuery(compiled), "kysely");
    },
  };
}
