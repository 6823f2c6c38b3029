import postgres from "postgres";
import { Soniq, type SoniqOptions } from "../../src/index.ts";

const baseUrl = () => {
  const url = process.env.SONIQ_TEST_DATABASE_URL;
  if (!url) throw new Error("SONIQ_TEST_DATABASE_URL is not set (test/preload.ts sets it)");
  return url;
};

export function databaseUrl(name: string): string {
  const url = new URL(baseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

let admin: postgres.Sql | undefined;
function adminSql(): postgres.Sql {
  admin ??= postgres(baseUrl(), { max: 2, onnotice: () => {} });
  return admin;
}

let template: Promise<string> | undefined;
let counter = 0;

/** A template database with the schema applied once; fresh databases are cheap copies of it. */
function templateDatabase(): Promise<string> {
  template ??= (async () => {
    const name = `soniq_tpl_${process.pid}`;
    await adminSql().unsafe(`DROP DATABASE IF EXISTS ${name}`);
    await adminSql().unsafe(`CREATE DATABASE ${name}`);
    const app = new Soniq({ databaseUrl: databaseUrl(name), logLevel: "error" });
    await app.setup();
    await app.close();
    return name;
  })();
  return template;
}

/** A new, migrated, empty database; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const tpl = await templateDatabase();
  const name = `soniq_t_${process.pid}_${++counter}`;
  await adminSql().unsafe(`CREATE DATABASE ${name} TEMPLATE ${tpl}`);
  return databaseUrl(name);
}

/** An empty database without the schema (for setup tests). */
export async function emptyDatabase(): Promise<string> {
  const name = `soniq_e_${process.pid}_${++counter}`;
  await adminSql().unsafe(`CREATE DATABASE ${name}`);
  return databaseUrl(name);
}

/** A Soniq app on a fresh database; fast timings so tests do not wait on defaults. */
export async function testApp(options: SoniqOptions = {}): Promise<Soniq> {
  return new Soniq({
    databaseUrl: await freshDatabase(),
    pollInterval: 0.05,
    heartbeatInterval: 0.2,
    errorRetryDelay: 0.05,
    logLevel: "error",
    ...options,
  });
}

export async function waitFor<T>(fn: () => Promise<T> | T, { timeout = 10_000, interval = 20, message = "condition" } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`);
    await Bun.sleep(interval);
  }
}
