/**
 * The dashboard's access rules: API key (header or session cookie), write switch, same-origin
 * check for writes (CSRF), loopback-only writes without a key, Host allow-list (DNS rebinding)
 * and the security headers every response carries.
 */
import { timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "soniq_dashboard_session";
/** How long a login lasts. */
export const SESSION_SECONDS = 12 * 60 * 60;

const TRUTHY = new Set(["1", "true", "yes", "on"]);

/** `SONIQ_DASHBOARD_WRITE_ENABLED` and friends: 1, true, yes or on (any case). */
export function envFlag(value: string | undefined): boolean {
  return value !== undefined && TRUTHY.has(value.trim().toLowerCase());
}

export function envList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

function sha256(text: string): Buffer {
  return Buffer.from(new Bun.CryptoHasher("sha256").update(text).digest());
}

/** Compare two secrets in constant time (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sign(key: string, issuedAt: number): string {
  return new Bun.CryptoHasher("sha256", key).update(`soniq-dashboard-session:v1:${issuedAt}`).digest("hex");
}

/** A session token `<issuedAt>.<hmac>`: proves the key was presented, without containing it. */
export function sessionToken(key: string, now = Date.now()): string {
  const issuedAt = Math.floor(now / 1000);
  return `${issuedAt}.${sign(key, issuedAt)}`;
}

export function validSessionToken(key: string, token: string, now = Date.now()): boolean {
  const match = /^(\d{1,12})\.([0-9a-f]{64})$/.exec(token);
  if (!match) return false;
  const issuedAt = Number(match[1]);
  const age = Math.floor(now / 1000) - issuedAt;
  if (age < -60 || age > SESSION_SECONDS) return false;
  return safeEqual(match[2]!, sign(key, issuedAt));
}

export function readCookie(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(token: string, path: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=${path}; Max-Age=${SESSION_SECONDS}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export function clearSessionCookie(path: string, secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=${path}; Max-Age=0; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

/** The key from `X-API-Key`, `Authorization: Bearer`, or a valid session cookie. */
export function isAuthenticated(req: Request, key: string): boolean {
  const header = req.headers.get("x-api-key");
  if (header !== null) return safeEqual(header, key);
  const auth = req.headers.get("authorization");
  if (auth !== null) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m !== null && safeEqual(m[1]!, key);
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie !== null && validSessionToken(key, cookie);
}

/**
 * Is this write a same-origin request? Browsers send `Sec-Fetch-Site` and/or `Origin` with
 * every POST/DELETE, so a cross-site page is always caught: `Sec-Fetch-Site` must be
 * `same-origin` when present, and `Origin` must equal the request's own origin (or an
 * allowed one) when present. A request with neither header does not come from a browser
 * page (curl, scripts) and cannot carry a victim's cookie by a forged form, so it passes.
 */
export function sameOrigin(req: Request, allowedOrigins: readonly string[] = []): boolean {
  const site = req.headers.get("sec-fetch-site");
  const origin = req.headers.get("origin");
  if (site !== null && site !== "same-origin") return false;
  if (origin !== null) {
    if (origin === "null") return false;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    const host = req.headers.get("host") ?? new URL(req.url).host;
    if (parsed.host.toLowerCase() === host.toLowerCase()) return true;
    return allowedOrigins.some((o) => o.replace(/\/+$/, "").toLowerCase() === parsed.origin.toLowerCase());
  }
  return true;
}

/**
 * Is this IP address the local machine? 127.0.0.0/8, ::1 and their IPv4-mapped IPv6 forms
 * (`::ffff:127.0.0.1`); brackets and an IPv6 zone (`%lo`) are ignored. Anything else, an empty
 * or unknown address included, is not.
 */
export function isLoopbackAddress(address: string | null | undefined): boolean {
  if (typeof address !== "string") return false;
  let a = address.trim().toLowerCase();
  if (a.startsWith("[") && a.endsWith("]")) a = a.slice(1, -1);
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (!/^[0-9a-f.:]+$/.test(a)) return false; // an IP address, nothing else (no host names, no ports)
  // The URL parser puts IP addresses in canonical form: "[0:0::1]" -> "[::1]", "::ffff:127.0.0.1" -> "[::ffff:7f00:1]".
  let host: string;
  try {
    host = new URL(`http://${a.includes(":") ? `[${a}]` : a}/`).hostname;
  } catch {
    return false;
  }
  return host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host);
}

/** Headers a proxy adds: a request that carries one was relayed, so its TCP peer is not the client. */
const FORWARDING_HEADERS = ["forwarded", "x-forwarded-for", "x-real-ip", "x-forwarded-host", "cf-connecting-ip", "true-client-ip"];

/** Did this request come through a proxy (or claim to)? Such a request never counts as local. */
export function forwarded(req: Request): boolean {
  return FORWARDING_HEADERS.some((h) => req.headers.get(h) !== null);
}

/** Where a request came from: Bun's `server` (its `requestIP(req)` is asked), the client's IP address, or unknown. */
export type DashboardPeer = string | { requestIP(req: Request): { address: string } | null } | null | undefined;

/** The TCP peer's address, or null when it cannot be known. */
export function peerAddress(req: Request, peer: DashboardPeer): string | null {
  if (peer === null || peer === undefined) return null;
  if (typeof peer === "string") return peer;
  try {
    return typeof peer.requestIP === "function" ? (peer.requestIP(req)?.address ?? null) : null;
  } catch {
    return null;
  }
}

/** A write without an API key: allowed only from this machine, directly (no proxy in between). */
export function localClient(req: Request, peer: DashboardPeer): boolean {
  return isLoopbackAddress(peerAddress(req, peer)) && !forwarded(req);
}

/** Host names (without port) a loopback-bound server answers to: a guard against DNS rebinding. */
export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]", "::1"];

export function hostAllowed(req: Request, allowedHosts: readonly string[] | null): boolean {
  if (!allowedHosts || allowedHosts.length === 0) return true;
  const host = (req.headers.get("host") ?? new URL(req.url).host).toLowerCase();
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]!;
  return allowedHosts.some((h) => h.toLowerCase() === name || h.toLowerCase() === host);
}

/** Headers on every response: no framing, no sniffing, no cross-origin referrer, a strict CSP. */
export function securityHeaders(kind: "page" | "login" | "asset" | "data"): Record<string, string> {
  const csp =
    kind === "login"
      ? "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
      : "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  return {
    "Content-Security-Policy": csp,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    // Not "no-referrer": with it, browsers send `Origin: null` on form posts and the same-origin check would refuse the login.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": kind === "asset" ? "private, max-age=300" : "no-store",
  };
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}
