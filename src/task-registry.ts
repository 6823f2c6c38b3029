/**
 * `soniq_task_registry`: which task names some worker has registered, and when it last said so.
 * Observability only (`soniq tasks-check`, `app.listTaskRegistry()`): enqueue never reads it.
 *
 * Postgres writes the shared table of migration 0001, so Python and Bun workers fill one registry.
 * SQLite keeps the same table in the same file (created on first use), so `soniq tasks-check` sees
 * what a worker process registered. Memory keeps it in the process, per backend instance.
 */
import { Database } from "bun:sqlite";
import type { StorageBackend } from "./backends/types.ts";
import { PostgresBackend } from "./backends/postgres/index.ts";
import { SqliteBackend } from "./backends/sqlite/index.ts";

export interface TaskRegistration {
  taskName: string;
  /** A short description of the args schema (its JSON), or null. */
  argsModelRepr: string | null;
}

export interface TaskRegistryEntry extends TaskRegistration {
  workerId: string;
  lastSeenAt: Date;
}

/** Longest `args_model_repr` stored; a schema is a hint for humans, not a contract. */
const MAX_REPR_CHARS = 4000;

export function describeSchema(schema: unknown): string | null {
  if (schema === undefined || schema === null) return null;
  try {
    const text = JSON.stringify(schema);
    if (text === undefined) return null;
    return text.length > MAX_REPR_CHARS ? `${text.slice(0, MAX_REPR_CHARS - 3)}...` : text;
  } catch {
    return null;
  }
}

const memoryRegistries = new WeakMap<StorageBackend, Map<string, TaskRegistryEntry>>();

function memoryRegistry(backend: StorageBackend): Map<string, TaskRegistryEntry> {
  let registry = memoryRegistries.get(backend);
  if (!registry) memoryRegistries.set(backend, (registry = new Map()));
  return registry;
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS soniq_task_registry (
    task_name TEXT NOT NULL,
    worker_id TEXT NOT NULL,
    last_seen_at INTEGER NOT NULL,
    args_model_repr TEXT,
    PRIMARY KEY (task_name, worker_id)
)`;

/** A SQLite file shared with other processes: its own short-lived connection, never the backend's. */
function withSqlite<T>(path: string, fn: (db: Database) => T): T {
  const db = new Database(path, { create: true });
  try {
    db.run("PRAGMA busy_timeout = 10000");
    db.run(SQLITE_TABLE);
    return fn(db);
  } finally {
    db.close();
  }
}

function sqliteIsPrivate(backend: SqliteBackend): boolean {
  return backend.path === ":memory:" || backend.path === "";
}

/** Upsert one row per task for `workerId` (last_seen_at = now). Idempotent. */
export async function registerTaskNames(backend: StorageBackend, tasks: readonly TaskRegistration[], workerId: string): Promise<number> {
  if (tasks.length === 0) return 0;
  if (backend instanceof PostgresBackend) {
    const sql = backend.sql;
    await sql`
      INSERT INTO soniq_task_registry (task_name, worker_id, last_seen_at, args_model_repr)
      SELECT t.task_name, ${workerId}, now(), t.args_model_repr
      FROM unnest(${sql.array(tasks.map((t) => t.taskName))}::text[], ${sql.array(tasks.map((t) => t.argsModelRepr) as string[])}::text[])
        AS t(task_name, args_model_repr)
      ON CONFLICT (task_name, worker_id)
      DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, args_model_repr = EXCLUDED.args_model_repr`;
    return tasks.length;
  }
  if (backend instanceof SqliteBackend && !sqliteIsPrivate(backend)) {
    const now = Date.now();
    withSqlite(backend.path, (db) => {
      const upsert = db.query(
        `INSERT INTO soniq_task_registry (task_name, worker_id, last_seen_at, args_model_repr) VALUES (?, ?, ?, ?)
         ON CONFLICT (task_name, worker_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, args_model_repr = excluded.args_model_repr`,
      );
      db.transaction(() => {
        for (const t of tasks) upsert.run(t.taskName, workerId, now, t.argsModelRepr);
      })();
    });
    return tasks.length;
  }
  const registry = memoryRegistry(backend);
  const lastSeenAt = new Date();
  for (const t of tasks) registry.set(`${t.taskName}\0${workerId}`, { ...t, workerId, lastSeenAt });
  return tasks.length;
}

/** Every row, by task name then worker. */
export async function listTaskRegistry(backend: StorageBackend): Promise<TaskRegistryEntry[]> {
  if (backend instanceof PostgresBackend) {
    const rows = await backend.sql<{ task_name: string; worker_id: string; last_seen_at: Date; args_model_repr: string | null }[]>`
      SELECT task_name, worker_id, last_seen_at, args_model_repr FROM soniq_task_registry ORDER BY task_name, worker_id`;
    return rows.map((r) => ({ taskName: r.task_name, workerId: r.worker_id, lastSeenAt: new Date(r.last_seen_at), argsModelRepr: r.args_model_repr }));
  }
  if (backend instanceof SqliteBackend && !sqliteIsPrivate(backend)) {
    const rows = withSqlite(backend.path, (db) =>
      db
        .query("SELECT task_name, worker_id, last_seen_at, args_model_repr FROM soniq_task_registry ORDER BY task_name, worker_id")
        .all() as { task_name: string; worker_id: string; last_seen_at: number; args_model_repr: string | null }[],
    );
    return rows.map((r) => ({ taskName: r.task_name, workerId: r.worker_id, lastSeenAt: new Date(r.last_seen_at), argsModelRepr: r.args_model_repr }));
  }
  return [...memoryRegistry(backend).values()].sort((a, b) => (a.taskName === b.taskName ? cmp(a.workerId, b.workerId) : cmp(a.taskName, b.taskName)));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
