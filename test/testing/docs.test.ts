/**
 * docs/testing.md's examples run: its named ```ts blocks (`// jobs.ts`, `// jobs.test.ts`, ...) are
 * written to a scratch directory under the repo (so "soniq" and "soniq/testing" resolve to this
 * package) and run with `bun test` there. test/ecosystem/docs-code.test.ts type-checks them.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const REPO = join(import.meta.dir, "../..");
const DIR = join(REPO, "test/.doc-snippets/testing-docs");

test("docs/testing.md: every named example runs and passes under bun test", async () => {
  const markdown = readFileSync(join(REPO, "docs/testing.md"), "utf8");
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const names: string[] = [];
  for (const m of markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const name = m[1]!.match(/^\/\/\s*([\w.-]+\.ts)\n/)?.[1];
    if (!name) continue;
    writeFileSync(join(DIR, name), m[1]!);
    names.push(name);
  }
  const tests = names.filter((n) => n.endsWith(".test.ts"));
  expect(tests.length).toBeGreaterThanOrEqual(5);
  const proc = Bun.spawn([process.execPath, "test", ...tests.map((n) => `./${n}`)], {
    cwd: DIR,
    env: { ...process.env, SONIQ_DATABASE_URL: "" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const output = stdout + stderr;
  if (code !== 0) console.error(output);
  expect(output).toContain(" 0 fail");
  expect(output).not.toContain("(fail)");
  expect(output).toMatch(new RegExp(`Ran \\d+ tests across ${tests.length} files`));
  expect(code).toBe(0);
  rmSync(DIR, { recursive: true, force: true });
}, 60_000);
