/**
 * `redactUrl(url)`: the one way Soniq prints a database URL (CLI output, log lines, error
 * messages). It works on the raw text, never through a URL parser, so a URL that does not parse
 * (a password with a raw `@`, `/`, `#` or `?`) is hidden as well as a clean one.
 *
 * - `scheme://user:password@host` → `scheme://user:***@host`; the password is everything from the
 *   first `:` of the userinfo to the **last** `@` before the host, so raw or percent-encoded
 *   `@ / : # ?` in it are covered.
 * - `scheme://token@host` (userinfo without a password, often a token) → `scheme://***@host`.
 * - Secret query parameters (`?password=`, `sslpassword`, `pass`, `passwd`, `pwd`, `secret`,
 *   `token`, `api_key`...) → `password=***`, up to the next `&name=` parameter.
 * - libpq keyword/value strings (`host=db password=secret`) → `password=***`.
 */

/** Query or keyword parameters whose value is a secret (compared lower-cased, after percent-decoding). */
const SECRET_PARAMS = new Set([
  "password",
  "sslpassword",
  "pass",
  "passwd",
  "pwd",
  "secret",
  "token",
  "auth_token",
  "access_token",
  "api_key",
  "apikey",
]);

const MASK = "***";

/** What may follow the userinfo's `@`: one or more `host[:port]`, comma-separated, up to `/ ? #` or the end. */
const HOST_AFTER_AT = /^(?:[A-Za-z0-9._~%!$'()*+;=-]+|\[[0-9A-Fa-f:.]+\])?(?::\d*)?(?:,(?:[A-Za-z0-9._~%!$'()*+;=-]+|\[[0-9A-Fa-f:.]+\])?(?::\d*)?)*(?=$|[/?#])/;

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " ")).trim().toLowerCase();
  } catch {
    return key.trim().toLowerCase();
  }
}

/** Mask the values of secret parameters in a query string (the text after `?`, or a whole string). */
function redactQuery(query: string): string {
  // A value runs to the next `&name=` (so a raw `&` or `#` inside a password stays hidden).
  return query.replace(/(^|[?&;])([^&;=?#]+)=((?:(?![&;][^&;=?#\s]+=).)*)/gs, (whole, sep: string, key: string, _value: string) =>
    SECRET_PARAMS.has(decodeKey(key)) ? `${sep}${key}=${MASK}` : whole,
  );
}

/** libpq keyword/value form: `host=db user=app password='se cret'`. */
function redactKeywordValue(text: string): string {
  return text.replace(/(^|\s)([A-Za-z_]+)(\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)/g, (whole, sep: string, key: string, eq: string) =>
    SECRET_PARAMS.has(key.toLowerCase()) ? `${sep}${key}${eq}${MASK}` : whole,
  );
}

/** Hide the credentials in a database URL (or connection string) before it is printed or logged. */
export function redactUrl(url: string): string {
  if (typeof url !== "string") return String(url);
  const start = /^\s*(?:[A-Za-z][A-Za-z0-9+.-]*:)?\/\//.exec(url);
  if (!start) {
    // No authority: `sqlite:path`, a file path, `memory:`, or a keyword/value string.
    const q = url.indexOf("?");
    if (q >= 0) return url.slice(0, q) + redactQuery(url.slice(q));
    return /=/.test(url) ? redactKeywordValue(url) : url;
  }
  const prefix = start[0];
  const rest = url.slice(prefix.length);

  // The userinfo ends at the last `@` that is followed by something shaped like a host list;
  // without one, at the last `@` at all. Ending it too late only hides more.
  let at = -1;
  for (let i = rest.lastIndexOf("@"); i >= 0; i = i === 0 ? -1 : rest.lastIndexOf("@", i - 1)) {
    if (HOST_AFTER_AT.test(rest.slice(i + 1))) {
      at = i;
      break;
    }
  }
  if (at < 0) at = rest.lastIndexOf("@");

  let shownUserinfo = "";
  let tail = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    // With a password: keep the user name (unless it is itself oddly shaped), hide the rest.
    // Without one: the lone userinfo is often a token, so hide it whole.
    const user = colon >= 0 ? userinfo.slice(0, colon) : "";
    shownUserinfo = colon >= 0 && !/[/?#@\s]/.test(user) ? `${user}:${MASK}@` : `${MASK}@`;
    tail = rest.slice(at + 1);
  }
  const q = tail.indexOf("?");
  if (q >= 0) tail = tail.slice(0, q) + redactQuery(tail.slice(q));
  return `${prefix}${shownUserinfo}${tail}`;
}
