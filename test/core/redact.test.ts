/** `redactUrl`: hostile passwords never reach the output, whatever shape the URL has. */
import { describe, expect, test } from "bun:test";
import { redactUrl as cliRedactUrl } from "../../src/cli/app.ts";
import { redactUrl as postgresRedactUrl } from "../../src/backends/postgres/index.ts";
import { redactUrl } from "../../src/core/redact.ts";

const SECRET = "s3cr3t";

/** Every fragment of the password that could identify it: none may be in the output. */
function expectHidden(url: string, secretParts: string[]) {
  const shown = redactUrl(url);
  for (const part of secretParts) expect(shown).not.toContain(part);
  expect(shown).toContain("***");
  return shown;
}

describe("redactUrl", () => {
  test("a plain password", () => {
    expect(redactUrl(`postgres://app:${SECRET}@db.example:5432/app`)).toBe("postgres://app:***@db.example:5432/app");
    expect(redactUrl(`postgresql://app:${SECRET}@db/app?sslmode=require`)).toBe("postgresql://app:***@db/app?sslmode=require");
  });

  const hostile: Array<[string, string, string[]]> = [
    ["raw @", "postgres://app:p@ss@w0rd@db/app", ["p@ss", "ss@w0rd", "w0rd@"]],
    ["raw /", "postgres://app:pa/ss/wd@db/app", ["pa/ss", "ss/wd"]],
    ["raw :", "postgres://app:pa:ss:wd@db:5432/app", ["pa:ss", "ss:wd"]],
    ["raw #", "postgres://app:pa#ss#wd@db/app", ["pa#ss", "#wd"]],
    ["raw ?", "postgres://app:pa?ss=wd@db/app", ["pa?ss", "ss=wd"]],
    ["all of them raw", "postgres://app:a@b/c:d#e?f@db.internal:6543/app?sslmode=require", ["a@b", "b/c", "c:d", "d#e", "e?f"]],
    ["percent-encoded", "postgres://app:pa%40ss%2Fw%3Ad%23x@db/app", ["pa%40ss", "%2Fw", "%3Ad", "%23x"]],
    ["encoded and raw mixed", "postgres://app:%40@b/c%23@db/app", ["%40@b", "b/c", "c%23"]],
    ["a password that looks like a host", "postgres://app:evil.example:99@db/app", ["evil.example:99"]],
    ["an empty user", "postgres://:hunter2@db/app", ["hunter2"]],
    ["multiple hosts", "postgres://app:pa@ss@h1:5432,h2:5433/app", ["pa@ss", "pa@"]],
    ["an IPv6 host", "postgres://app:pa@ss@[::1]:5432/app", ["pa@ss"]],
    ["a unix-socket URL", "postgres://app:pa@ss@/app?host=/var/run/postgresql", ["pa@ss"]],
    ["no scheme", "//app:pa@ss@db/app", ["pa@ss"]],
    ["leading spaces", "  postgres://app:pa@ss@db/app", ["pa@ss"]],
  ];
  for (const [what, url, parts] of hostile) {
    test(`a password with ${what}`, () => {
      const shown = expectHidden(url, parts);
      expect(shown).toContain(url.includes("//:") ? "//:***@" : "app:***@"); // the user name stays visible when there is a password
    });
  }

  test("the host, port, database and harmless parameters stay readable", () => {
    expect(redactUrl("postgres://app:a@b/c:d#e?f@db.internal:6543/app?sslmode=require")).toBe("postgres://app:***@db.internal:6543/app?sslmode=require");
    expect(redactUrl("postgres://app:pa%40ss@db/app")).toBe("postgres://app:***@db/app");
    expect(redactUrl("postgres://app:x@h1:5432,h2:5433/app")).toBe("postgres://app:***@h1:5432,h2:5433/app");
  });

  test("userinfo without a password is hidden whole (it is often a token)", () => {
    expect(redactUrl("postgres://ghp_token123@db/app")).toBe("postgres://***@db/app");
    expect(redactUrl("https://tok@en@example.com/x")).toBe("https://***@example.com/x");
  });

  test("passwords in the query string", () => {
    expect(redactUrl(`postgres://db/app?user=app&password=${SECRET}&sslmode=require`)).toBe("postgres://db/app?user=app&password=***&sslmode=require");
    expect(redactUrl(`postgres://db/app?sslpassword=${SECRET}`)).toBe("postgres://db/app?sslpassword=***");
    expect(redactUrl(`postgres://db/app?PASS=${SECRET}`)).toBe("postgres://db/app?PASS=***");
    expect(redactUrl(`postgres://db/app?pass%77ord=${SECRET}`)).toBe("postgres://db/app?pass%77ord=***");
    for (const key of ["passwd", "pwd", "secret", "token", "api_key"]) {
      expect(redactUrl(`postgres://db/app?${key}=${SECRET}`)).not.toContain(SECRET);
    }
    // A raw & or # inside the value: hidden up to the next `&name=` parameter.
    const shown = redactUrl("postgres://db/app?password=a&b#c@d&sslmode=require");
    expect(shown).not.toContain("b#c");
    expect(shown).toContain("sslmode=require");
    // Both a userinfo password and a query password.
    expect(redactUrl("postgres://app:one@db/app?password=two")).toBe("postgres://app:***@db/app?password=***");
  });

  test("unparsable URLs are still redacted", () => {
    for (const url of ["postgres://app:pa ss@@@", "postgres://app:p@ss@db:99999/app", "postgres://app:p@ss@db:port/app", "postgres://app:p@ss@[zz]/app"]) {
      expect(() => new URL(url)).toThrow();
      const shown = redactUrl(url);
      expect(shown).toContain("app:***@");
      expect(shown).not.toMatch(/p@ss|pa ss/);
    }
    // Odd ones a lenient parser accepts (spaces, bad escapes, brackets, unknown schemes).
    for (const url of ["postgres://app:p@ss word@db/app", "postgres://app:%zz@db/app", "postgres://app:[x@db/app", "weird://app:p@ss"]) {
      const shown = redactUrl(url);
      expect(shown).toContain("***");
      expect(shown).not.toMatch(/p@ss|%zz|\[x/);
    }
  });

  test("libpq keyword/value strings", () => {
    expect(redactUrl(`host=db user=app password=${SECRET} dbname=app`)).toBe("host=db user=app password=*** dbname=app");
    expect(redactUrl(`host=db password='se cr\\'et' dbname=app`)).toBe("host=db password=*** dbname=app");
  });

  test("URLs without credentials are unchanged", () => {
    for (const url of ["postgres://db/app", "postgres://db:5432/app?sslmode=require", "sqlite:./soniq.db", "./data/jobs.db", "memory:", "postgres://db/app?application_name=me"]) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  test("the CLI and the PostgreSQL backend use the same helper", () => {
    const url = "postgres://app:p@ss/w:rd#1@db/app?password=x";
    expect(cliRedactUrl(url)).toBe(redactUrl(url));
    expect(postgresRedactUrl(url)).toBe(redactUrl(url));
    expect(cliRedactUrl(undefined)).toContain("soniq.db");
  });
});
