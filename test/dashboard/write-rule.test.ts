/**
 * The dashboard fails closed: with writes enabled and no API key, a write is accepted only from
 * a loopback client, directly. Real Bun.serve servers on PostgreSQL, through the HTTP API.
 * A non-loopback peer is real when this machine has a non-loopback address (the client connects
 * to it), and simulated through the public `peer` argument of `dashboard.fetch` either way.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { createDashboard, type Dashboard } from "../../src/dashboard/index.ts";
import { isLoopbackAddress } from "../../src/dashboard/security.ts";
import type { Soniq } from "../../src/index.ts";
import { testApp } from "../helpers/db.ts";
import { deadLetters, failingJob } from "./helpers.ts";

const KEY = "write-rule-key";
let app: Soniq;
const servers: ReturnType<typeof Bun.serve>[] = [];

beforeAll(async () => {
  app = await testApp({ enqueueValidation: "none" });
  failingJob(app);
});

afterEach(() => {
  for (const server of servers.splice(0)) server.stop(true);
});

afterAll(async () => {
  await app.close();
});

/** Serve `dash` the way the docs say: Bun's server goes along as the peer, unless `peer` replaces it. */
function serve(dash: Dashboard, options: { hostname?: string; peer?: (server: ReturnType<typeof Bun.serve>) => Parameters<Dashboard["fetch"]>[1] } = {}) {
  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: 0,
    fetch: (req, srv) => dash.fetch(req, options.peer ? options.peer(srv) : srv),
  });
  servers.push(server);
  return server;
}

async function replay(base: string, headers: Record<string, string> = {}) {
  const [id] = await deadLetters(app, 1);
  const res = await fetch(`${base}/api/dead-letter/${id}/replay`, { method: "POST", headers });
  const body = (await res.json()) as { jobId?: string; error?: string };
  const row = await app.deadLetter.get(id!);
  return { status: res.status, body, replayed: row!.resurrectionCount };
}

/** A non-loopback address of this machine, if it has one (the client then connects from it). */
function externalAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === "IPv4" && !info.internal && !isLoopbackAddress(info.address)) return info.address;
  }
  return undefined;
}

describe("keyless writes: loopback clients only", () => {
  test("a loopback client writes without a key (127.0.0.1 and ::1)", async () => {
    const dash = createDashboard(app, { writeEnabled: true, apiKey: null });
    const v4 = serve(dash);
    const ok = await replay(`http://127.0.0.1:${v4.port}`);
    expect(ok.status).toBe(200);
    expect(ok.body.jobId).toBeString();
    expect(ok.replayed).toBe(1);

    let v6: ReturnType<typeof Bun.serve> | undefined;
    try {
      v6 = serve(dash, { hostname: "::1" });
    } catch {
      // no IPv6 loopback here
    }
    if (v6) expect((await replay(`http://[::1]:${v6.port}`)).status).toBe(200);

    // The same-origin (CSRF) check still applies to a loopback client.
    const csrf = await replay(`http://127.0.0.1:${v4.port}`, { origin: "https://evil.example", "sec-fetch-site": "cross-site" });
    expect(csrf.status).toBe(403);
    expect(csrf.replayed).toBe(0);
  });

  test("a non-loopback client is refused with 403 naming SONIQ_DASHBOARD_API_KEY (real peer when available)", async () => {
    const dash = createDashboard(app, { writeEnabled: true, apiKey: null });
    const address = externalAddress();
    if (address) {
      const server = serve(dash, { hostname: "0.0.0.0" });
      expect(server.requestIP).toBeFunction();
      const refused = await replay(`http://${address}:${server.port}`);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toContain("SONIQ_DASHBOARD_API_KEY");
      expect(refused.replayed).toBe(0);
      // Reads are not affected; the page offers no write buttons to this client.
      expect((await fetch(`http://${address}:${server.port}/api/stats`)).status).toBe(200);
      expect(await (await fetch(`http://${address}:${server.port}/`)).text()).toContain('data-write="false"');
      // The same server, reached over loopback: accepted.
      expect((await replay(`http://127.0.0.1:${server.port}`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${server.port}/`)).text()).toContain('data-write="true"');
    } else {
      console.warn("write-rule: no non-loopback address on this machine; only the simulated peer is tested");
    }

    // Simulated through the public hook: the peer given as an address, or as a server-like object.
    for (const peer of ["203.0.113.7", "::ffff:10.1.2.3", "fd00::9", { requestIP: () => ({ address: "192.0.2.77" }) }]) {
      const server = serve(dash, { peer: () => peer });
      const refused = await replay(`http://127.0.0.1:${server.port}`);
      expect({ peer, status: refused.status }).toEqual({ peer, status: 403 });
      expect(refused.body.error).toContain("SONIQ_DASHBOARD_API_KEY");
      expect(refused.replayed).toBe(0);
    }
    for (const peer of ["127.0.0.5", "::1", "::ffff:127.0.0.1"]) {
      const server = serve(dash, { peer: () => peer });
      expect({ peer, status: (await replay(`http://127.0.0.1:${server.port}`)).status }).toEqual({ peer, status: 200 });
    }
  });

  test("a request relayed by a proxy (Forwarded, X-Forwarded-For, X-Real-IP) is not local", async () => {
    const server = serve(createDashboard(app, { writeEnabled: true, apiKey: null }));
    const relayed: Record<string, string>[] = [{ "x-forwarded-for": "198.51.100.4" }, { forwarded: "for=198.51.100.4" }, { "x-real-ip": "198.51.100.4" }, { "x-forwarded-for": "127.0.0.1" }];
    for (const headers of relayed) {
      const refused = await replay(`http://127.0.0.1:${server.port}`, headers);
      expect({ headers, status: refused.status }).toEqual({ headers, status: 403 });
      expect(refused.body.error).toContain("SONIQ_DASHBOARD_API_KEY");
    }
  });

  test("mounted without the peer: keyless writes are refused, and the error says how to pass it", async () => {
    const dash = createDashboard(app, { writeEnabled: true, apiKey: null });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => dash.fetch(req) });
    servers.push(server);
    const refused = await replay(`http://127.0.0.1:${server.port}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain("SONIQ_DASHBOARD_API_KEY");
    expect(refused.body.error).toContain("dashboard.fetch(req, server)");
    expect(refused.replayed).toBe(0);
  });

  test("with a key, writes need the key from anywhere, loopback included", async () => {
    const dash = createDashboard(app, { writeEnabled: true, apiKey: KEY });
    const remote = serve(dash, { peer: () => "203.0.113.7" });
    expect((await replay(`http://127.0.0.1:${remote.port}`, { "x-api-key": KEY })).status).toBe(200);
    expect((await replay(`http://127.0.0.1:${remote.port}`)).status).toBe(401);
    const local = serve(dash);
    expect((await replay(`http://127.0.0.1:${local.port}`)).status).toBe(401);
    expect((await replay(`http://127.0.0.1:${local.port}`, { "x-api-key": KEY })).status).toBe(200);
  });

  test("read-only stays read-only for everybody", async () => {
    const server = serve(createDashboard(app, { writeEnabled: false, apiKey: null }));
    const refused = await replay(`http://127.0.0.1:${server.port}`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toContain("read-only");
  });
});
