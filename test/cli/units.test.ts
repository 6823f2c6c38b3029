/** In-process unit tests of the CLI helpers (no child processes, no database). */
import { describe, expect, test } from "bun:test";
import { PassThrough } from "node:stream";
import { Soniq } from "../../src/index.ts";
import { intFlag, listFlag, logLevelFlag, sameDatabaseUrl } from "../../src/cli/app.ts";
import { UsageError } from "../../src/cli/exit.ts";
import { collectModules, findInstances, pickInstance } from "../../src/cli/modules.ts";
import { formatAge, renderTable } from "../../src/cli/output.ts";
import { confirmOrRefuse } from "../../src/cli/prompt.ts";
import { workerViews } from "../../src/cli/commands/status.ts";

describe("flags", () => {
  test("integers, lists and log levels", () => {
    expect(intFlag("8", "--concurrency", { min: 1, max: 1000 })).toBe(8);
    expect(intFlag(undefined, "--concurrency")).toBeUndefined();
    for (const bad of ["abc", "1.5", "0", "1001", ""]) expect(() => intFlag(bad, "--concurrency", { min: 1, max: 1000 })).toThrow(UsageError);
    expect(listFlag(" a, b ,,c", "--queues")).toEqual(["a", "b", "c"]);
    expect(logLevelFlag("WARNING")).toBe("warn");
    expect(() => logLevelFlag("loud")).toThrow(UsageError);
  });

  test("jobs modules: env first, then the flag, de-duplicated in order", () => {
    expect(collectModules("./a.ts, ./b.ts", ["./b.ts", "./c.ts", "./a.ts"])).toEqual(["./a.ts", "./b.ts", "./c.ts"]);
    expect(collectModules(undefined, undefined)).toEqual([]);
  });

  test("database URLs compare after normalising scheme, host case, default port and trailing slash", () => {
    expect(sameDatabaseUrl("postgresql://u:p@DB.example/app/", "postgres://u:p@db.example:5432/app")).toBe(true);
    expect(sameDatabaseUrl("postgres://u:p@db/app", "postgres://u:p@db/other")).toBe(false);
    expect(sameDatabaseUrl("sqlite:./x.db", "./x.db")).toBe(true);
    expect(sameDatabaseUrl(undefined, "./soniq.db")).toBe(true);
  });
});

describe("instance discovery", () => {
  const make = (jobs: number) => {
    const app = new Soniq({ databaseUrl: "memory:", logLevel: "silent" });
    for (let i = 0; i < jobs; i++) app.job({ name: `t.job${i}` }, async () => i);
    return app;
  };

  test("the only instance with jobs wins; the same instance exported twice counts once", () => {
    const withJobs = make(2);
    const empty = make(0);
    const found = findInstances([
      { spec: "./a.ts", path: "/a.ts", exports: { app: withJobs, other: empty } },
      { spec: "./b.ts", path: "/b.ts", exports: { default: withJobs, n: 1 } },
    ]);
    expect(found).toHaveLength(2);
    expect(found[0]!.where).toEqual(["./a.ts (export app)", "./b.ts (export default)"]);
    expect(pickInstance(found, ["./a.ts"])).toBe(withJobs);
  });

  test("none, no jobs, or a real tie is an error", () => {
    expect(() => pickInstance([], ["./a.ts"])).toThrow(/export/);
    expect(() => pickInstance(findInstances([{ spec: "./a.ts", path: "/a.ts", exports: { app: make(0) } }]), ["./a.ts"])).toThrow(/no registered jobs/);
    const tie = findInstances([{ spec: "./a.ts", path: "/a.ts", exports: { a: make(1), b: make(1) } }]);
    expect(() => pickInstance(tie, ["./a.ts"])).toThrow(/ambiguous/);
  });
});

describe("output", () => {
  test("tables are aligned, numbers right-aligned, no colour when disabled", () => {
    const text = renderTable(["NAME", "COUNT"], [["a", 1], ["longer", 100]], false);
    expect(text.split("\n")).toEqual(["NAME    COUNT", "a           1", "longer    100"]);
    expect(text).not.toContain("\u001B[");
    expect(renderTable(["A"], [["x"]], true)).toContain("\u001B[1m");
  });

  test("ages and stale workers", () => {
    expect(formatAge(42)).toBe("42s");
    expect(formatAge(3600 * 3 + 60)).toBe("3h1m");
    const now = Date.now();
    const base = { hostname: "h", pid: 1, queues: [], concurrency: 1, startedAt: new Date(now), version: null, metadata: null };
    const views = workerViews(
      [
        { ...base, id: "fresh", status: "active", lastHeartbeat: new Date(now - 1000) },
        { ...base, id: "old", status: "active", lastHeartbeat: new Date(now - 400_000) },
        { ...base, id: "gone", status: "stopped", lastHeartbeat: new Date(now - 400_000) },
      ],
      300,
      now,
    );
    expect(views.map((v) => v.stale)).toEqual([false, true, false]);
  });
});

describe("confirmation", () => {
  const io = (tty: boolean, answer?: string) => {
    const input = Object.assign(new PassThrough(), { isTTY: tty });
    const output = new PassThrough();
    if (answer !== undefined) input.end(answer);
    return { input, output };
  };

  test("--yes skips the question; a non-TTY stdin refuses; y/yes on a TTY proceeds", async () => {
    await confirmOrRefuse("Purge?", true, io(false));
    await expect(confirmOrRefuse("Purge?", false, io(false))).rejects.toThrow("refusing without --yes: stdin is not a TTY");
    await confirmOrRefuse("Purge?", false, io(true, "y\n"));
    await confirmOrRefuse("Purge?", false, io(true, "YES\n"));
    await expect(confirmOrRefuse("Purge?", false, io(true, "n\n"))).rejects.toThrow("aborted");
    await expect(confirmOrRefuse("Purge?", false, io(true, ""))).rejects.toThrow("aborted");
  });
});
