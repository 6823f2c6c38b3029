/**
 * Typed end to end: enqueue-types.typecheck.ts holds `@ts-expect-error` lines for every wrong call
 * (job handles typed by schema or by handler, taskRefs) next to the right ones. `tsc` must accept
 * the file (each expected error happens, nothing else fails), and with the directives removed it
 * must report exactly those lines, for the expected reasons.
 */
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, SNIPPETS_DIR, typecheck } from "./helpers.ts";

const FILE = join(REPO, "test/ecosystem/enqueue-types.typecheck.ts");

test("tsc accepts the enqueue type assertions (every @ts-expect-error is a real error)", async () => {
  const { code, output } = await typecheck("types", [FILE]);
  expect(output).toBe("");
  expect(code).toBe(0);
}, 120_000);

test("without the directives, tsc reports exactly the marked lines", async () => {
  const source = readFileSync(FILE, "utf8");
  const lines = source.split("\n");
  const expected: number[] = [];
  const stripped = lines.map((line, i) => {
    if (/^\s*\/\/ @ts-expect-error/.test(line)) {
      expected.push(i + 2); // 1-based number of the line after the directive
      return line.replace("@ts-expect-error", "(expected error)");
    }
    return line;
  });
  expect(expected.length).toBeGreaterThanOrEqual(20);
  const dir = join(SNIPPETS_DIR, "types-negative");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const copy = join(dir, "enqueue-types.ts");
  writeFileSync(copy, stripped.join("\n"));
  const { code, output } = await typecheck("types-negative", [copy]);
  expect(code).not.toBe(0);
  const reported = [...new Set([...output.matchAll(/enqueue-types\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  expect(reported).toEqual(expected);
  expect(output).toContain("Type 'string' is not assignable to type 'number'");
  expect(output).toContain("Object literal may only specify known properties, and 'extra' does not exist");
  expect(output).toContain("Expected 2-3 arguments, but got 1");
  rmSync(dir, { recursive: true, force: true });
}, 120_000);
