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

/**
 * One tsc run checks both programs (the file as it is, and a copy without the directives): a
 * full type-check of the sources costs seconds, so the two tests share it. Output is split into
 * diagnostics (a `path(line,col): error` line plus its indented continuation lines).
 */
let shared: Promise<{ expected: number[]; mine: string[]; others: string[] }> | undefined;
function checkBoth() {
  shared ??= (async () => {
    const lines = readFileSync(FILE, "utf8").split("\n");
    const expected: number[] = [];
    const stripped = lines.map((line, i) => {
      if (/^\s*\/\/ @ts-expect-error/.test(line)) {
        expected.push(i + 2); // 1-based number of the line after the directive
        return line.replace("@ts-expect-error", "(expected error)");
      }
      return line;
    });
    const dir = join(SNIPPETS_DIR, "types-negative");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const copy = join(dir, "enqueue-types.ts");
    writeFileSync(copy, stripped.join("\n"));
    const { output } = await typecheck("types", [FILE, copy]);
    const diagnostics: string[] = [];
    for (const line of output.split("\n").filter(Boolean)) {
      if (/^\s/.test(line) && diagnostics.length > 0) diagnostics[diagnostics.length - 1] += `\n${line}`;
      else diagnostics.push(line);
    }
    const inCopy = (d: string) => /(^|\/)types-negative\/enqueue-types\.ts\(\d+,\d+\)/.test(d);
    rmSync(dir, { recursive: true, force: true });
    return { expected, mine: diagnostics.filter(inCopy), others: diagnostics.filter((d) => !inCopy(d)) };
  })();
  return shared;
}

test("tsc accepts the enqueue type assertions (every @ts-expect-error is a real error)", async () => {
  const { others } = await checkBoth();
  expect(others.join("\n")).toBe(""); // nothing outside the directive-free copy: the file (and the sources) pass
}, 120_000);

test("without the directives, tsc reports exactly the marked lines", async () => {
  const { expected, mine } = await checkBoth();
  expect(expected.length).toBeGreaterThanOrEqual(20);
  const output = mine.join("\n");
  expect(mine.length).toBeGreaterThan(0);
  const reported = [...new Set([...output.matchAll(/enqueue-types\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))].sort((a, b) => a - b);
  expect(reported).toEqual(expected);
  expect(output).toContain("Type 'string' is not assignable to type 'number'");
  expect(output).toContain("Object literal may only specify known properties, and 'extra' does not exist");
  expect(output).toContain("Expected 2-3 arguments, but got 1");
}, 120_000);
