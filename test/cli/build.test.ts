/**
 * `bun run build` produces dist/soniq, a single executable that runs without the repository:
 * setup, then a run-once worker for a job module outside the repo that imports "soniq" (the
 * binary hands it its own embedded copy of the library).
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { Soniq } from "../../src/index.ts";
import { emptyDatabase } from "../helpers/db.ts";
import { cliEnv, outsideDir, REPO, removeTempDirs, runCli, writeJobModule } from "./helpers.ts";

const apps: Soniq[] = [];
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  removeTempDirs();
});

test(
  "bun run build -> dist/soniq runs setup and a worker for an outside module importing 'soniq'",
  async () => {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: REPO, env: cliEnv(), stdout: "pipe", stderr: "pipe" });
    const [buildOut, buildErr, buildCode] = await Promise.all([new Response(build.stdout).text(), new Response(build.stderr).text(), build.exited]);
    expect(buildCode, `${buildOut}\n${buildErr}`).toBe(0);
    const binary = join(REPO, "dist/soniq");
    expect(existsSync(binary)).toBe(true);
    expect(statSync(binary).mode & 0o111).not.toBe(0);

    const url = await emptyDatabase();
    const dir = outsideDir(); // no node_modules here or above: "soniq" can only come from the binary
    writeJobModule(dir, "soniq");
    const env = { SONIQ_DATABASE_URL: url };

    const setup = await runCli(["setup"], { command: [binary], cwd: dir, env });
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/Applied \d+ migrations? successfully/);

    const app = new Soniq({ databaseUrl: url, enqueueValidation: "none", logLevel: "error" });
    apps.push(app);
    const ids = await app.enqueueMany("cli.add", [{ a: 1, b: 1 }, { a: 2, b: 2 }]);

    const worker = await runCli(["worker", "--run-once", "--jobs-modules", "jobs.ts"], { command: [binary], cwd: dir, env });
    expect(worker.stderr).toBe("");
    expect(worker.code).toBe(0);
    expect(worker.stdout).toContain("2 succeeded");
    expect((await app.getJob(ids[0]!))?.result).toBe(2);
    expect((await app.getJob(ids[1]!))?.status).toBe("done");

    const version = await runCli(["version"], { command: [binary], cwd: dir });
    expect(version.code).toBe(0);
  },
  90_000,
);
