/**
 * A database password never reaches the CLI's output: `soniq status` and `soniq worker` with a
 * role whose password holds `@ / : # ?`, given percent-encoded (it connects) and raw (it may
 * not), on success and on failure. Real child processes, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import postgres from "postgres";
import { freshDatabase } from "../helpers/db.ts";
import { exitWithin, LIBRARY_ENTRY, outsideDir, removeTempDirs, runCli, startCli, waitFor, writeJobModule } from "./helpers.ts";

/** The role's password: raw `@ :` (a URL parser still finds the host), plus the harder `/ # ?` cases below. */
const PASSWORD = "Pw@1:x:y";
const PASSWORD_SLASHES = "Pw/1:x#y?z";
const ROLE = `soniq_hostile_${process.pid}`;
/** Fragments any leak would show, raw or percent-encoded. */
const LEAKS = ["Pw@1", "Pw%401", "Pw/1", "Pw%2F1", "1:x", "1%3Ax", "x:y", "x%3Ay", "x#y", "x%23y", "y?z", "y%3Fz"];

let admin: postgres.Sql;
let encodedUrl: string;
let rawUrl: string;

function expectNoLeak(text: string) {
  for (const leak of LEAKS) expect(text).not.toContain(leak);
}

beforeAll(async () => {
  const url = new URL(await freshDatabase());
  admin = postgres(process.env.SONIQ_TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`DROP ROLE IF EXISTS ${ROLE}`);
  await admin.unsafe(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
  const hostAndDb = `${url.host}${url.pathname}`;
  encodedUrl = `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@${hostAndDb}`;
  rawUrl = `postgres://${ROLE}:${PASSWORD}@${hostAndDb}`;
});

afterAll(async () => {
  removeTempDirs();
  await admin.unsafe(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => {});
  await admin.end();
});

describe("the CLI never prints a database password", () => {
  test("soniq status with a percent-encoded hostile password connects and shows user:***", async () => {
    const r = await runCli(["status", "--database-url", encodedUrl]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Database: postgres://${ROLE}:***@`);
    expectNoLeak(r.stdout + r.stderr);
  }, 60_000);

  test("soniq status with a raw hostile password, as a flag and from SONIQ_DATABASE_URL", async () => {
    // Raw `@` and `:` only: parsers take the last `@` of the authority, so this one can connect.
    const r = await runCli(["status", "--database-url", rawUrl], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Database: postgres://${ROLE}:***@127.0.0.1:`);
    expectNoLeak(r.stdout + r.stderr);
    const env = await runCli(["status"], { env: { SONIQ_DATABASE_URL: rawUrl }, timeoutMs: 30_000 });
    expectNoLeak(env.stdout + env.stderr);
    const json = await runCli(["status", "--json"], { env: { SONIQ_DATABASE_URL: rawUrl }, timeoutMs: 30_000 });
    expectNoLeak(json.stdout + json.stderr);
  }, 120_000);

  test("URLs that do not parse, or point elsewhere, fail without printing the password", async () => {
    const { host, pathname } = new URL(encodedUrl);
    for (const url of [
      `postgres://${ROLE}:${PASSWORD_SLASHES}@${host}${pathname}`, // raw / # ? : the URL does not parse
      `postgres://${ROLE}:Pw@localhost:1/x:y#z@${host}${pathname}`, // a parser stops at the first / and tries localhost:1
      `postgres://${ROLE}:${encodeURIComponent(PASSWORD)}@127.0.0.1:1/none`, // nothing listens
      encodedUrl.replace(encodeURIComponent(PASSWORD), encodeURIComponent(`${PASSWORD}-wrong`)), // wrong password
    ]) {
      const r = await runCli(["status", "--database-url", url], { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expectNoLeak(r.stdout + r.stderr);
    }
  }, 150_000);

  test("soniq worker's start-up line and its mismatch error", async () => {
    const dir = outsideDir();
    writeJobModule(dir, LIBRARY_ENTRY);
    const live = startCli(["worker", "--jobs-modules", "./jobs.ts"], { cwd: dir, env: { SONIQ_DATABASE_URL: encodedUrl, SONIQ_LOG_LEVEL: "info" } });
    await waitFor(() => live.output().includes("soniq worker: starting on"), { timeout: 45_000, message: "the start-up line" });
    live.proc.kill("SIGTERM");
    expect(await exitWithin(live, 30_000)).toBe(0);
    expect(live.output()).toContain(`postgres://${ROLE}:***@`);
    expectNoLeak(live.output());

    // --database-url that differs from the instance's: both URLs are printed, both redacted.
    const module = `import { Soniq } from ${JSON.stringify(LIBRARY_ENTRY)};
export const app = new Soniq({ databaseUrl: ${JSON.stringify(rawUrl)} });
export const noop = app.job({ name: "cli.noop" }, async () => {});
`;
    await Bun.write(`${dir}/pinned.ts`, module);
    const mismatch = await runCli(["worker", "--jobs-modules", "./pinned.ts", "--database-url", encodedUrl.replace("/soniq_", "/other_")], { cwd: dir });
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain("differs from the database");
    expectNoLeak(mismatch.stdout + mismatch.stderr);
  }, 90_000);
});
