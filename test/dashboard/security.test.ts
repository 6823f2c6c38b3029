/** Every refusal the dashboard makes: read-only mode, API key, cross-origin writes, foreign hosts. */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createDashboard } from "../../src/dashboard/index.ts";
import type { Soniq } from "../../src/index.ts";
import { testApp } from "../helpers/db.ts";
import { call, deadLetters, failingJob } from "./helpers.ts";

let app: Soniq;
let dlqId: string;
const KEY = "s3cret-key-for-tests";
const savedEnv = { ...process.env };

beforeAll(async () => {
  app = await testApp({ enqueueValidation: "none" });
  await app.setup();
  failingJob(app);
  dlqId = (await deadLetters(app, 1))[0]!;
});

afterAll(async () => {
  await app.close();
});

afterEach(() => {
  for (const key of ["SONIQ_DASHBOARD_WRITE_ENABLED", "SONIQ_DASHBOARD_API_KEY", "SONIQ_DASHBOARD_ALLOWED_ORIGINS", "SONIQ_DASHBOARD_ALLOWED_HOSTS"]) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
});

const WRITES: [string, string][] = [
  ["POST", "/api/dead-letter/ID/replay"],
  ["DELETE", "/api/dead-letter/ID"],
  ["POST", "/api/dead-letter/replay"],
  ["POST", "/api/jobs/ID/cancel"],
  ["DELETE", "/api/jobs/ID"],
  ["POST", "/api/schedules/x/pause"],
  ["POST", "/api/schedules/x/resume"],
  ["POST", "/api/schedules/x/trigger"],
];

async function unchanged(): Promise<void> {
  const row = await app.deadLetter.get(dlqId);
  expect(row).not.toBeNull();
  expect(row!.resurrectionCount).toBe(0);
}

describe("read-only by default", () => {
  test("every write route answers 403 unless writes are enabled", async () => {
    delete process.env.SONIQ_DASHBOARD_WRITE_ENABLED;
    const dash = createDashboard(app, { apiKey: null });
    expect(dash.writeEnabled).toBe(false);
    for (const [method, path] of WRITES) {
      const res = await call(dash, path.replace("ID", dlqId), { method, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
      expect(res.body.error).toContain("read-only");
    }
    await unchanged();
    expect((await call(dash, "/api/dead-letter")).status).toBe(200); // reads still work
  });

  test("SONIQ_DASHBOARD_WRITE_ENABLED accepts 1/true/yes/on; the option wins", async () => {
    for (const value of ["1", "true", "YES", "on"]) {
      process.env.SONIQ_DASHBOARD_WRITE_ENABLED = value;
      expect(createDashboard(app, { apiKey: null }).writeEnabled).toBe(true);
    }
    for (const value of ["0", "false", "no", "", "enabled"]) {
      process.env.SONIQ_DASHBOARD_WRITE_ENABLED = value;
      expect(createDashboard(app, { apiKey: null }).writeEnabled).toBe(false);
    }
    process.env.SONIQ_DASHBOARD_WRITE_ENABLED = "1";
    expect(createDashboard(app, { apiKey: null, writeEnabled: false }).writeEnabled).toBe(false);
  });
});

describe("API key", () => {
  const dash = () => createDashboard(app, { apiKey: KEY, writeEnabled: true });

  test("401 on every API route and /metrics without the key or with a wrong one", async () => {
    const d = dash();
    for (const path of ["/api/stats", "/api/health", "/api/jobs", `/api/jobs/${dlqId}`, "/api/dead-letter", "/api/workers", "/api/schedules", "/api/timeline", "/metrics"]) {
      const missing = await call(d, path);
      expect({ path, status: missing.status }).toEqual({ path, status: 401 });
      const wrong = await call(d, path, { headers: { "x-api-key": "wrong" } });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
      const bearerWrong = await call(d, path, { headers: { authorization: "Bearer nope" } });
      expect(bearerWrong.status).toBe(401);
      const ok = await call(d, path, { headers: { "x-api-key": KEY } });
      expect({ path, status: ok.status }).toEqual({ path, status: 200 });
    }
    expect((await call(d, "/api/stats", { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
    // A write without the key is refused before anything else.
    const write = await call(d, `/api/dead-letter/${dlqId}/replay`, { method: "POST" });
    expect(write.status).toBe(401);
    await unchanged();
  });

  test("pages and assets show the login form (401) without the key", async () => {
    const d = dash();
    for (const path of ["/", "/index.html", "/assets/app.js", "/assets/app.css"]) {
      const res = await call(d, path);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
      expect(res.body).toContain('<form method="post" action="/login">');
      expect(res.body).not.toContain("app.js?v=");
    }
    expect((await call(d, "/", { headers: { "x-api-key": KEY } })).body).toContain("app.js?v=");
  });

  test("the login form sets an HttpOnly, SameSite=Strict session cookie", async () => {
    const d = dash();
    const form = (key: string) => ({ method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `api_key=${encodeURIComponent(key)}` });
    const wrong = await call(d, "/login", form("nope"));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();

    const ok = await call(d, "/login", form(KEY));
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/");
    const cookie = ok.headers.get("set-cookie")!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(cookie).not.toContain(KEY); // the cookie proves the key, it does not carry it
    const session = cookie.split(";")[0]!;

    expect((await call(d, "/", { headers: { cookie: session } })).status).toBe(200);
    expect((await call(d, "/api/stats", { headers: { cookie: session } })).status).toBe(200);
    const tampered = session.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    expect((await call(d, "/api/stats", { headers: { cookie: tampered } })).status).toBe(401);
    // A session from another key is worthless.
    const other = createDashboard(app, { apiKey: "another-key" });
    expect((await call(other, "/api/stats", { headers: { cookie: session } })).status).toBe(401);

    // Login itself refuses cross-site posts (login CSRF).
    const csrf = await call(d, "/login", { ...form(KEY), headers: { ...form(KEY).headers, origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
    expect(csrf.status).toBe(403);

    const out = await call(d, "/logout", { method: "POST", headers: { cookie: session } });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
  });

  test("SONIQ_DASHBOARD_API_KEY is used when no option is given; the cookie path follows basePath", async () => {
    process.env.SONIQ_DASHBOARD_API_KEY = KEY;
    const d = createDashboard(app, { basePath: "/ops/jobs" });
    expect(d.authRequired).toBe(true);
    expect((await call(d, "/ops/jobs/api/stats")).status).toBe(401);
    expect((await call(d, "/ops/jobs/api/stats", { headers: { "x-api-key": KEY } })).status).toBe(200);
    const login = await call(d, "/ops/jobs/login", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `api_key=${KEY}` });
    expect(login.headers.get("location")).toBe("/ops/jobs/");
    expect(login.headers.get("set-cookie")).toContain("Path=/ops/jobs;");
    expect(createDashboard(app, { apiKey: null }).authRequired).toBe(false);
  });
});

describe("cross-origin writes (CSRF)", () => {
  const dash = () => createDashboard(app, { apiKey: null, writeEnabled: true });
  const replay = () => `/api/dead-letter/${dlqId}/replay`;

  test("403 for a foreign Origin, a cross-site or same-site Sec-Fetch-Site, or Origin: null", async () => {
    const d = dash();
    const attempts: Record<string, string>[] = [
      { origin: "https://evil.example", "sec-fetch-site": "" },
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { origin: "", "sec-fetch-site": "cross-site" },
      { origin: "http://sub.dash.test", "sec-fetch-site": "same-site" },
      { origin: "null", "sec-fetch-site": "" },
      { origin: "http://dash.test:8080", "sec-fetch-site": "" },
    ];
    for (const headers of attempts) {
      const res = await call(d, replay(), { method: "POST", headers });
      expect({ headers, status: res.status }).toEqual({ headers, status: 403 });
      expect(res.body.error).toContain("cross-origin");
    }
    const bulk = await call(d, "/api/dead-letter/replay", {
      method: "POST",
      headers: { origin: "https://evil.example", "sec-fetch-site": "cross-site", "content-type": "application/json" },
      body: JSON.stringify({ ids: [dlqId] }),
    });
    expect(bulk.status).toBe(403);
    await unchanged();
  });

  test("a valid session does not make a cross-origin write acceptable", async () => {
    const d = createDashboard(app, { apiKey: KEY, writeEnabled: true });
    const res = await call(d, replay(), { method: "POST", headers: { "x-api-key": KEY, origin: "https://evil.example", "sec-fetch-site": "cross-site" } });
    expect(res.status).toBe(403);
    await unchanged();
  });

  test("same-origin browser writes, non-browser clients and allowed origins pass", async () => {
    const d = dash();
    const same = await call(d, replay(), { method: "POST" }); // Origin + Sec-Fetch-Site: same-origin
    expect(same.status).toBe(200);
    const curl = await call(d, replay(), { method: "POST", headers: { origin: "", "sec-fetch-site": "" } });
    expect(curl.status).toBe(200);
    const proxied = createDashboard(app, { apiKey: null, writeEnabled: true, allowedOrigins: ["https://ops.example.com"] });
    expect((await call(proxied, replay(), { method: "POST", headers: { origin: "https://ops.example.com", "sec-fetch-site": "same-origin" } })).status).toBe(200);
    expect((await app.deadLetter.get(dlqId))!.resurrectionCount).toBe(3);
    // Reset for the other tests.
    await app.backend.reset();
    dlqId = (await deadLetters(app, 1))[0]!;
  });
});

describe("hosts, headers and escaping", () => {
  test("a Host outside allowedHosts gets 403 (DNS rebinding)", async () => {
    const d = createDashboard(app, { apiKey: null, allowedHosts: ["localhost", "127.0.0.1"] });
    expect((await call(d, "/api/stats")).status).toBe(403); // Host: dash.test
    expect((await call(d, "/api/stats", { headers: { host: "localhost:6161" } })).status).toBe(200);
    expect((await call(d, "/api/stats", { headers: { host: "127.0.0.1" } })).status).toBe(200);
  });

  test("strict security headers; no inline script allowed", async () => {
    const d = createDashboard(app, { apiKey: null });
    for (const path of ["/", "/api/stats", "/assets/app.js"]) {
      const res = await d.fetch(new Request(`http://dash.test${path}`));
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
    const page = await (await d.fetch(new Request("http://dash.test/"))).text();
    expect(page).not.toMatch(/<script(?![^>]*\ssrc=)/); // no inline <script> blocks
    expect(page).not.toMatch(/https?:\/\//); // nothing external: no CDN, no fonts
  });

  test("hostile job args are returned as JSON data, never as markup", async () => {
    const evil = { html: "<script>alert(1)</script>", img: '<img src=x onerror="alert(2)">' };
    const id = await app.enqueue("t.evil", evil);
    const d = createDashboard(app, { apiKey: null });
    const res = await d.fetch(new Request(`http://dash.test/api/jobs/${id}`));
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(((await res.json()) as any).job.args).toEqual(evil);
    const page = await (await d.fetch(new Request("http://dash.test/"))).text();
    expect(page).not.toContain("alert(");
  });

  test("the client script never writes HTML from data", async () => {
    const js = await (await createDashboard(app, { apiKey: null }).fetch(new Request("http://dash.test/assets/app.js"))).text();
    expect(js).not.toMatch(/\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|eval\(|new Function/);
  });
});
