/**
 * `createDashboard(app, options)`: a web UI, a JSON API and a Prometheus endpoint as one
 * `fetch(Request, server?) => Response` handler, mountable under a path prefix of any Bun.serve app.
 * No external resources: the page, its script and its stylesheet are served from this module.
 * See docs/dashboard.md.
 */
import { prometheusText, PROMETHEUS_CONTENT_TYPE, type PrometheusSink } from "../metrics/prometheus.ts";
import type { Soniq } from "../soniq.ts";
import { errorStatus, HttpError, matchRoute, STATUS } from "./api.ts";
import appJs from "./assets/app.js" with { type: "text" };
import { loginPage, shellPage } from "./html.ts";
import {
  clearSessionCookie,
  envFlag,
  envList,
  hostAllowed,
  isAuthenticated,
  localClient,
  type DashboardPeer,
  safeEqual,
  sameOrigin,
  securityHeaders,
  sessionCookie,
  sessionToken,
} from "./security.ts";
import { CSS } from "./styles.ts";

export interface DashboardOptions {
  /** Path prefix the dashboard is mounted under, e.g. "/admin/queue" (default: the root). */
  basePath?: string;
  /**
   * Allow replay, delete, cancel, pause/resume and trigger. Default: `SONIQ_DASHBOARD_WRITE_ENABLED`
   * (1/true/yes/on), else false. Without an `apiKey`, writes are still accepted only from a
   * loopback client (see `Dashboard.fetch`).
   */
  writeEnabled?: boolean;
  /** Require this key on every route. Default: `SONIQ_DASHBOARD_API_KEY`; `null` or "" disables it. */
  apiKey?: string | null;
  /** A sink from `createPrometheusSink()` whose counters `/metrics` includes (workers in this process). */
  metrics?: PrometheusSink | null;
  /** Extra origins allowed to send writes (behind a proxy that rewrites Host). Default: `SONIQ_DASHBOARD_ALLOWED_ORIGINS`. */
  allowedOrigins?: string[];
  /**
   * Host names the dashboard answers to (others get 403): a guard against DNS rebinding.
   * Default: `SONIQ_DASHBOARD_ALLOWED_HOSTS`, else any. `soniq dashboard` restricts a loopback
   * bind to localhost names.
   */
  allowedHosts?: string[] | null;
  /** Live-update interval of the web page, seconds (default 2). */
  pollInterval?: number;
}

export type { DashboardPeer } from "./security.ts";

export interface Dashboard {
  /**
   * Answer a request. `peer` says who sent it: pass Bun.serve's `server` (the second argument
   * of its `fetch`), or the client's IP address. It matters for writes when no API key is set:
   * they are accepted only from a loopback peer (127.0.0.0/8, ::1) whose request carries no
   * proxy headers (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`...). Without `peer` the client
   * is unknown and such writes get 403. With a key, writes need the key, from anywhere.
   */
  fetch(req: Request, peer?: DashboardPeer): Promise<Response>;
  readonly basePath: string;
  readonly writeEnabled: boolean;
  readonly authRequired: boolean;
}

function normalizeBasePath(raw: string | undefined): string {
  if (raw === undefined || raw === "" || raw === "/") return "";
  if (!/^\/?[A-Za-z0-9._~\-/]*$/.test(raw)) throw new Error(`basePath must be a plain URL path, got ${JSON.stringify(raw)}`);
  const withSlash = raw.startsWith("/") ? raw : `/${raw}`;
  return withSlash.replace(/\/+$/, "");
}

export function createDashboard(app: Soniq, options: DashboardOptions = {}): Dashboard {
  const basePath = normalizeBasePath(options.basePath);
  const writeEnabled = options.writeEnabled ?? envFlag(process.env.SONIQ_DASHBOARD_WRITE_ENABLED);
  const apiKey = (options.apiKey !== undefined ? options.apiKey : process.env.SONIQ_DASHBOARD_API_KEY) || null;
  const allowedOrigins = options.allowedOrigins ?? envList(process.env.SONIQ_DASHBOARD_ALLOWED_ORIGINS);
  const envHosts = envList(process.env.SONIQ_DASHBOARD_ALLOWED_HOSTS);
  const allowedHosts = options.allowedHosts !== undefined ? options.allowedHosts : envHosts.length ? envHosts : null;
  const pollMs = Math.round(Math.min(60, Math.max(0.5, options.pollInterval ?? 2)) * 1000);
  const cookiePath = basePath || "/";

  const json = (status: number, body: unknown, extra: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json; charset=utf-8", ...securityHeaders("data"), ...extra } });
  const html = (status: number, body: string, kind: "page" | "login", extra: Record<string, string> = {}) =>
    new Response(body, { status, headers: { "Content-Type": "text/html; charset=utf-8", ...securityHeaders(kind), ...extra } });
  const redirect = (location: string, extra: Record<string, string> = {}) =>
    new Response(null, { status: 303, headers: { Location: location, ...securityHeaders("data"), ...extra } });
  const text = (status: number, body: string, type = "text/plain; charset=utf-8") =>
    new Response(body, { status, headers: { "Content-Type": type, ...securityHeaders("data") } });

  /** Why a write is refused for lack of a key, or null when it may go ahead. */
  function keylessWriteRefusal(req: Request, peer: DashboardPeer): string | null {
    if (apiKey || localClient(req, peer)) return null;
    const who =
      peer === null || peer === undefined
        ? "the client's address is unknown (mounted without it: pass Bun's server, dashboard.fetch(req, server))"
        : "this client is not on this machine (or came through a proxy)";
    return `writes without an API key are accepted only from loopback (127.0.0.1, ::1), and ${who}: set SONIQ_DASHBOARD_API_KEY (or createDashboard(app, { apiKey })) and send it as X-API-Key`;
  }

  async function handle(req: Request, peer: DashboardPeer): Promise<Response> {
    const url = new URL(req.url);
    if (!hostAllowed(req, allowedHosts)) return text(403, "host not allowed\n");
    let path = url.pathname;
    if (basePath) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) return json(404, { error: "not found" });
      path = path.slice(basePath.length);
    }
    if (path === "") path = "/";
    const secure = url.protocol === "https:" || req.headers.get("x-forwarded-proto") === "https";
    const isApi = path.startsWith("/api/") || path === "/api";

    // ---- login and logout (reachable without a session)
    if (path === "/login") {
      if (req.method === "GET" || req.method === "HEAD") {
        return apiKey ? html(200, loginPage({ basePath }), "login") : redirect(`${basePath}/`);
      }
      if (req.method !== "POST") return json(405, { error: "method not allowed" });
      if (!sameOrigin(req, allowedOrigins)) return json(403, { error: "cross-origin request refused" });
      if (!apiKey) return redirect(`${basePath}/`);
      let presented = "";
      try {
        const form = await req.formData();
        const value = form.get("api_key");
        presented = typeof value === "string" ? value : "";
      } catch {
        presented = "";
      }
      if (presented && safeEqual(presented, apiKey)) {
        return redirect(`${basePath}/`, { "Set-Cookie": sessionCookie(sessionToken(apiKey), cookiePath, secure) });
      }
      await Bun.sleep(300); // slow down guessing
      return html(401, loginPage({ basePath, error: "Wrong API key." }), "login");
    }
    if (path === "/logout") {
      if (req.method !== "POST") return json(405, { error: "method not allowed" });
      if (!sameOrigin(req, allowedOrigins)) return json(403, { error: "cross-origin request refused" });
      return redirect(apiKey ? `${basePath}/login` : `${basePath}/`, { "Set-Cookie": clearSessionCookie(cookiePath, secure) });
    }

    // ---- everything else needs the key when one is set
    const authenticated = apiKey ? isAuthenticated(req, apiKey) : false;
    if (apiKey && !authenticated) {
      if (isApi || path === "/metrics") return json(401, { error: "invalid or missing API key" });
      return html(401, loginPage({ basePath }), "login");
    }

    if (isApi) {
      let parts: string[];
      try {
        parts = path.slice("/api/".length).split("/").filter(Boolean).map((p) => decodeURIComponent(p));
      } catch {
        return json(400, { error: "malformed path" });
      }
      try {
        const route = matchRoute(req.method, parts);
        if (route.write) {
          if (!writeEnabled) {
            return json(403, { error: "the dashboard is read-only: set SONIQ_DASHBOARD_WRITE_ENABLED=1 (or createDashboard(app, { writeEnabled: true }))" });
          }
          if (!sameOrigin(req, allowedOrigins)) return json(403, { error: "cross-origin write refused" });
          const refusal = keylessWriteRefusal(req, peer);
          if (refusal) return json(403, { error: refusal });
        }
        const result = await route.run({ app, req, url, parts });
        const status = (result as { [STATUS]?: number } | null)?.[STATUS] ?? 200;
        return json(status, result);
      } catch (error) {
        const { status, message } = errorStatus(error);
        if (status >= 500) app.logger.error("dashboard request failed", { path, method: req.method, error });
        return json(status, { error: message });
      }
    }

    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { error: "method not allowed" });
    switch (path) {
      case "/":
      case "/index.html":
        // The page offers the write buttons only to a client whose writes would be accepted.
        return html(200, shellPage({ basePath, writeEnabled: writeEnabled && keylessWriteRefusal(req, peer) === null, authenticated: Boolean(apiKey), pollMs }), "page");
      case "/assets/app.js":
        return new Response(appJs, { headers: { "Content-Type": "text/javascript; charset=utf-8", ...securityHeaders("asset") } });
      case "/assets/app.css":
        return new Response(CSS, { headers: { "Content-Type": "text/css; charset=utf-8", ...securityHeaders("asset") } });
      case "/metrics":
        return text(200, await prometheusText(app, options.metrics ?? null), PROMETHEUS_CONTENT_TYPE);
      default:
        return json(404, { error: "not found" });
    }
  }

  return {
    basePath,
    writeEnabled,
    authRequired: apiKey !== null,
    async fetch(req: Request, peer?: DashboardPeer): Promise<Response> {
      try {
        return await handle(req, peer);
      } catch (error) {
        if (error instanceof HttpError) return json(error.status, { error: error.message });
        app.logger.error("dashboard request failed", { error });
        return json(500, { error: "internal error (see the server log)" });
      }
    },
  };
}

export { createPrometheusSink, prometheusText, type PrometheusSink } from "../metrics/prometheus.ts";
