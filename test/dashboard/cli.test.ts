/** `soniq dashboard`: the real CLI in a child process. */
import { afterEach, describe, expect, test } from "bun:test";
import { Soniq } from "../../src/index.ts";
import { exitWithin, runCli, startCli, type LiveProcess } from "../cli/helpers.ts";
import { freshDatabase, waitFor } from "../helpers/db.ts";

const running: LiveProcess[] = [];
afterEach(async () => {
  for (const live of running.splice(0)) {
    live.proc.kill("SIGKILL");
    await live.exited.catch(() => {});
  }
});

async function start(args: string[], env: Record<string, string> = {}): Promise<{ live: LiveProcess; url: string }> {
  const live = startCli(["dashboard", "--port", "0", ...args], { env });
  running.push(live);
  // The banner ends with the metrics line; lines arrive one write at a time.
  const match = await waitFor(() => (live.output().includes("  metrics: ") ? /Soniq dashboard on (http:\/\/\S+?)\/\s/.exec(live.output()) : null), {
    timeout: 20_000,
    message: `the dashboard banner in:\n${live.output()}`,
  });
  return { live, url: match[1]! };
}

describe("soniq dashboard", () => {
  test("serves on 127.0.0.1 by default, read-only, and stops on SIGTERM", async () => {
    const db = await freshDatabase();
    const seed = new Soniq({ databaseUrl: db, logLevel: "error", enqueueValidation: "none" });
    const id = await seed.enqueue("cli.dash", { x: 1 });
    await seed.close();

    const { live, url } = await start(["--database-url", db]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(live.output()).toContain("read-only");

    const health = await fetch(`${url}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as any).backlog).toBe(1);
    expect(((await (await fetch(`${url}/api/jobs/${id}`)).json()) as any).job.args).toEqual({ x: 1 });
    expect((await fetch(`${url}/api/jobs/${id}/cancel`, { method: "POST" })).status).toBe(403);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('soniq_queue_depth{queue="default"} 1');
    // Bound to loopback: a foreign Host header (DNS rebinding) is refused.
    expect((await fetch(`${url}/api/stats`, { headers: { host: "attacker.example" } })).status).toBe(403);

    live.proc.kill("SIGTERM");
    expect(await exitWithin(live, 10_000)).toBe(0);
  }, 30_000);

  test("SONIQ_DASHBOARD_API_KEY and SONIQ_DASHBOARD_WRITE_ENABLED", async () => {
    const db = await freshDatabase();
    const { live, url } = await start(["--database-url", db, "--base-path", "/ops"], { SONIQ_DASHBOARD_API_KEY: "k3y", SONIQ_DASHBOARD_WRITE_ENABLED: "on" });
    expect(url).toMatch(/:\d+\/ops$/);
    expect(live.output()).toContain("read/write");
    expect((await fetch(`${url}/api/stats`)).status).toBe(401);
    expect((await fetch(`${url}/api/stats`, { headers: { "x-api-key": "k3y" } })).status).toBe(200);
    const trigger = await fetch(`${url}/api/schedules/none/trigger`, { method: "POST", headers: { "x-api-key": "k3y" } });
    expect(trigger.status).toBe(404); // allowed through to the handler: no such schedule
  }, 30_000);

  test("write mode without a key: refuses to start on a non-loopback interface, serves loopback clients on loopback", async () => {
    const db = await freshDatabase();
    for (const host of ["0.0.0.0", "::"]) {
      const refused = await runCli(["dashboard", "--port", "0", "--host", host, "--database-url", db], { env: { SONIQ_DASHBOARD_WRITE_ENABLED: "1" } });
      expect({ host, code: refused.code }).toEqual({ host, code: 1 });
      expect(refused.stderr).toContain("refusing to serve writes");
      expect(refused.stderr).toContain("SONIQ_DASHBOARD_API_KEY");
      expect(refused.stdout).not.toContain("Soniq dashboard on");
    }

    // On loopback it starts, and a loopback client may write without a key.
    const seed = new Soniq({ databaseUrl: db, logLevel: "error", enqueueValidation: "none" });
    const id = await seed.enqueue("cli.dash", { x: 1 });
    await seed.close();
    const { live, url } = await start(["--database-url", db], { SONIQ_DASHBOARD_WRITE_ENABLED: "1" });
    expect(live.output()).toContain("read/write from this machine only");
    const cancel = await fetch(`${url}/api/jobs/${id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    // ...but not a request relayed by a proxy.
    const proxied = await fetch(`${url}/api/jobs/${id}`, { method: "DELETE", headers: { "x-forwarded-for": "198.51.100.4" } });
    expect(proxied.status).toBe(403);
    expect(((await proxied.json()) as { error: string }).error).toContain("SONIQ_DASHBOARD_API_KEY");
    live.proc.kill("SIGTERM");
    expect(await exitWithin(live, 10_000)).toBe(0);
  }, 60_000);

  test("on 0.0.0.0 with a key it starts in write mode; read-only without a key warns; SIGHUP stops it", async () => {
    const db = await freshDatabase();
    const { live, url } = await start(["--database-url", db, "--host", "0.0.0.0"], { SONIQ_DASHBOARD_API_KEY: "k3y", SONIQ_DASHBOARD_WRITE_ENABLED: "1" });
    expect(live.output()).toContain("read/write");
    expect(live.output()).not.toContain("warning");
    const local = url.replace("0.0.0.0", "127.0.0.1");
    expect((await fetch(`${local}/api/schedules/none/trigger`, { method: "POST" })).status).toBe(401);
    expect((await fetch(`${local}/api/schedules/none/trigger`, { method: "POST", headers: { "x-api-key": "k3y" } })).status).toBe(404);
    live.proc.kill("SIGHUP");
    expect(await exitWithin(live, 10_000)).toBe(0);
    expect(live.output()).toContain("stopping");

    const readOnly = await start(["--database-url", db, "--host", "0.0.0.0"]);
    expect(readOnly.live.output()).toContain("read-only");
    await waitFor(() => readOnly.live.output().includes("warning: the dashboard listens on 0.0.0.0 without an API key"), { timeout: 5_000 });
    readOnly.live.proc.kill("SIGTERM");
    expect(await exitWithin(readOnly.live, 10_000)).toBe(0);
  }, 60_000);

  test("usage errors and an unreachable database", async () => {
    const help = await runCli(["dashboard", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--host");
    expect(help.stdout).toContain("127.0.0.1");
    expect(help.stdout).toContain("6161");
    expect((await runCli(["dashboard", "--port", "99999"])).code).toBe(2);
    const down = await runCli(["dashboard", "--port", "0", "--database-url", "postgres://nobody:x@127.0.0.1:1/none"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot read the queue");
  }, 30_000);
});
