/**
 * Package hygiene: `bun pm pack` the package, install the tarball into a scratch project (as
 * `bun add <tarball>` would, but offline: see `offlineLockfile`), and use it the way a new user
 * would: `soniq/testing` through the package exports, the quickstart's code blocks
 * (verbatim from the docs), the `soniq` bin, the README quickstart against PostgreSQL, and a
 * strict `tsc` of the scratch project (the package ships TypeScript sources, so the consumer's
 * compiler checks them).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freshDatabase } from "../helpers/db.ts";
import { REPO, runBun } from "./helpers.ts";

let work: string;
let project: string;
let tarball: string;

/**
 * The bun.lock `bun add <tarball>` would write, built from this repository's bun.lock, so that
 * `bun install --frozen-lockfile --offline` installs the tarball and its dependencies from the
 * cache `bun install` filled, with no registry request. (`bun add` would fetch the registry's
 * manifests, which a frozen `bun install` never caches: on a fresh machine it needs the network.)
 */
function offlineLockfile(tarballPath: string, packed: { dependencies?: Record<string, string>; bin?: Record<string, string> }): string {
  const repoLock = Bun.JSONC.parse(readFileSync(join(REPO, "bun.lock"), "utf8")) as { packages: Record<string, [string, string, { dependencies?: Record<string, string> }, string]> };
  const packages: Record<string, unknown> = {};
  const add = (name: string, range: string, from: string) => {
    if (packages[name]) return;
    const entry = repoLock.packages[name];
    if (!entry) throw new Error(`${name} (a dependency of ${from}) is not in bun.lock: run \`bun install\``);
    if (/^\d+\.\d+\.\d+$/.test(range) && entry[0] !== `${name}@${range}`) throw new Error(`${from} wants ${name}@${range}, bun.lock has ${entry[0]}`);
    packages[name] = entry;
    for (const [dep, depRange] of Object.entries(entry[2]?.dependencies ?? {})) add(dep, depRange, name);
  };
  for (const [name, range] of Object.entries(packed.dependencies ?? {})) add(name, range, "soniq");
  const integrity = `sha512-${new Bun.CryptoHasher("sha512").update(readFileSync(tarballPath)).digest("base64")}`;
  packages.soniq = [`soniq@${tarballPath}`, { dependencies: packed.dependencies ?? {}, ...(packed.bin ? { bin: packed.bin } : {}) }, integrity];
  return JSON.stringify(
    { lockfileVersion: 2, configVersion: 1, workspaces: { "": { name: "scratch-app", dependencies: { soniq: tarballPath } } }, packages },
    null,
    2,
  );
}

/** The ```ts blocks of a markdown file whose first line is `// <name>`, by name. */
function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of readFileSync(join(REPO, markdown), "utf8").matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = m[1]!.match(/^\/\/\s*([\w.-]+\.ts)\b/)?.[1];
    if (name && !blocks.has(name)) blocks.set(name, m[1]!);
  }
  return blocks;
}

async function run(cmd: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 60_000) {
  const proc = Bun.spawn(cmd, { cwd, env: { ...process.env, SONIQ_DATABASE_URL: "", ...env }, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr, killed: proc.signalCode === "SIGKILL" };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "soniq-pack-"));
  const packed = await runBun(["pm", "pack", "--destination", work, "--ignore-scripts", "--quiet"]);
  expect(packed.code).toBe(0);
  tarball = join(work, packed.stdout.trim().split("\n").pop()!.trim().split("/").pop()!);
  project = join(work, "app");
  await Bun.$`mkdir -p ${project}`;
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch-app", private: true, type: "module", dependencies: { soniq: tarball } }, null, 2));
  const manifest = JSON.parse(await Bun.$`tar xzOf ${tarball} package/package.json`.text());
  writeFileSync(join(project, "bun.lock"), offlineLockfile(tarball, manifest));
  const added = await run([process.execPath, "install", "--frozen-lockfile", "--offline"], project, {}, 120_000);
  if (added.code !== 0) {
    throw new Error(`bun install --frozen-lockfile --offline of ${tarball} failed (is \`bun install\` done in the repository?):\n${added.stdout}\n${added.stderr}`);
  }
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the tarball holds the sources, SQL, bin and docs entry points, and nothing from tests", async () => {
  const list = (await Bun.$`tar tzf ${tarball}`.text()).split("\n").filter(Boolean).map((p) => p.replace(/^package\//, ""));
  for (const path of ["package.json", "README.md", "bin/soniq.ts", "src/index.ts", "src/backends/postgres/connection.ts", "sql/postgres/queries/insert_jobs.sql"]) {
    expect(list).toContain(path);
  }
  expect(list.filter((p) => /^(test|bench|examples|node_modules|dist)\//.test(p) || p.endsWith(".db"))).toEqual([]);
  const pkg = JSON.parse(readFileSync(join(project, "node_modules/soniq/package.json"), "utf8"));
  expect(pkg.name).toBe("soniq");
});

test('"soniq/testing" resolves from the installed package: makeApp, inline mode, drain, enqueued', async () => {
  writeFileSync(
    join(project, "uses-testing.ts"),
    `import { Soniq } from "soniq";
import { drain, enqueued, makeApp } from "soniq/testing";
const app = await makeApp();
const double = app.job({ name: "t.double" }, async ({ n }: { n: number }) => n * 2);
const id = await app.enqueue(double, { n: 21 });
const [queued] = await enqueued(app, double, { n: 21 });
const n: number = queued!.args.n;
const summary = await drain(app);
await using inline = new Soniq({ testing: "inline" });
const triple = inline.job({ name: "t.triple" }, async ({ n }: { n: number }) => n * 3);
console.log(JSON.stringify({ n, processed: summary.processed, result: await app.getResult(id), inline: await inline.getResult(await inline.enqueue(triple, { n: 5 })) }));
await app.close();
`,
  );
  const result = await run([process.execPath, "uses-testing.ts"], project, { SONIQ_LOG_LEVEL: "error" });
  expect(result.stderr).toBe("");
  expect(JSON.parse(result.stdout)).toEqual({ n: 21, processed: 1, result: 42, inline: 15 });
  expect(readFileSync(join(project, "node_modules/soniq/package.json"), "utf8")).toContain('"./testing"');
});

test("docs/quickstart.md, verbatim, on the default SQLite file: all in one process", async () => {
  const blocks = namedBlocks("docs/quickstart.md");
  for (const name of ["jobs.ts", "enqueue.ts", "all-in-one.ts"]) {
    expect(blocks.has(name)).toBe(true);
    writeFileSync(join(project, name), blocks.get(name)!);
  }
  const result = await run([process.execPath, "all-in-one.ts"], project, { SONIQ_LOG_LEVEL: "error" });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("Sending welcome email to dev@example.com (attempt 1)");
  expect(result.stdout).toMatch(/\{\s*sent: true,?\s*\}/);
  expect(await Bun.file(join(project, "soniq.db")).exists()).toBe(true);
});

test("docs/quickstart.md steps 3-5 with the installed `soniq` bin: setup, enqueue, worker", async () => {
  const env = { SONIQ_LOG_LEVEL: "error" };
  rmSync(join(project, "soniq.db"), { force: true });
  const version = await run([process.execPath, "x", "soniq", "version"], project, env);
  expect(version.stdout.trim()).toContain(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).version);
  const setup = await run([process.execPath, "x", "soniq", "setup"], project, env);
  expect(setup.code).toBe(0);
  const enqueued = await run([process.execPath, "enqueue.ts"], project, env);
  expect(enqueued.code).toBe(0);
  expect(enqueued.stdout).toMatch(/^enqueued \S+/);
  const worker = await run([process.execPath, "x", "soniq", "worker", "--jobs-modules", "./jobs.ts", "--run-once"], project, env);
  expect(worker.code).toBe(0);
  expect(worker.stdout).toContain("Sending welcome email to dev@example.com (attempt 1)");
  expect(worker.stdout).toContain("1 succeeded");
});

test("README.md quickstart, verbatim, against PostgreSQL: runs and exits", async () => {
  const blocks = namedBlocks("README.md");
  expect(blocks.has("jobs.ts")).toBe(true);
  expect(blocks.has("main.ts")).toBe(true);
  const dir = join(project, "readme");
  await Bun.$`mkdir -p ${dir}`;
  writeFileSync(join(dir, "jobs.ts"), blocks.get("jobs.ts")!);
  writeFileSync(join(dir, "main.ts"), blocks.get("main.ts")!);
  const databaseUrl = await freshDatabase();
  const sql = postgres(databaseUrl, { onnotice: () => {} });
  try {
    await sql`CREATE TABLE users (id int)`; // the business table main.ts writes to
    const result = await run([process.execPath, "main.ts"], dir, { SONIQ_DATABASE_URL: databaseUrl, SONIQ_LOG_LEVEL: "error" }, 30_000);
    expect(result.stdout).toContain("welcome 42 (default), attempt 1/6");
    expect(result.stdout).toMatch(/\{\s*sent: true,?\s*\}/);
    expect((await sql`SELECT count(*)::int AS n FROM users`)[0]!.n).toBe(1);
    if (result.killed) {
      throw new Error("README main.ts printed its result but never exited: it leaves Soniq's Postgres pool open. End the snippet with `await app.close();`");
    }
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
  } finally {
    await sql.end();
  }
}, 60_000);

test("a strict tsc of the scratch project (which type-checks the shipped sources) passes", async () => {
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ESNext", module: "Preserve", moduleResolution: "bundler", lib: ["ESNext"], types: ["bun"], strict: true,
        skipLibCheck: true, noEmit: true, allowImportingTsExtensions: true, verbatimModuleSyntax: true,
      },
      include: ["*.ts"],
    }),
  );
  // @types/bun and typescript from this repository's node_modules (no network needed).
  await Bun.$`mkdir -p ${join(project, "node_modules/@types")}`;
  await Bun.$`ln -sfn ${join(REPO, "node_modules/@types/bun")} ${join(project, "node_modules/@types/bun")}`;
  await Bun.$`ln -sfn ${join(REPO, "node_modules/bun-types")} ${join(project, "node_modules/bun-types")}`.nothrow();
  await Bun.$`ln -sfn ${join(REPO, "node_modules/@types/node")} ${join(project, "node_modules/@types/node")}`.nothrow();
  await Bun.$`ln -sfn ${join(REPO, "node_modules/undici-types")} ${join(project, "node_modules/undici-types")}`.nothrow();
  const tsc = join(REPO, "node_modules/typescript/lib/tsc.js");
  const result = await run([process.execPath, tsc, "--noEmit", "--pretty", "false", "-p", "."], project, {}, 120_000);
  const errors = result.stdout.split("\n").filter((l) => l.includes("error TS"));
  if (errors.some((l) => l.includes(".sql'"))) {
    throw new Error(
      `${errors.length} tsc errors in the installed package, e.g.\n  ${errors.slice(0, 3).join("\n  ")}\n` +
        'The shipped sources import *.sql files whose module declaration (types/sql.d.ts) is neither shipped nor referenced. Fix: add "types" to "files" ' +
        'in package.json, and put `/// <reference path="../types/sql.d.ts" />` at the top of src/index.ts.',
    );
  }
  expect(errors).toEqual([]);
  expect(result.code).toBe(0);
}, 180_000);
