/**
 * `args_hash` compatible with Python Soniq: SHA-256 hex of
 * `json.dumps(args, sort_keys=True, separators=(",", ":"))` (ensure_ascii on).
 * Numbers are written as Python writes them (see `pythonNumber`); the one divergence left is a
 * float with an integral value (`1.0`), which JavaScript cannot tell from the int `1`.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function" && !Array.isArray(value)) {
    return pythonJsonDumps((value as { toJSON: () => unknown }).toJSON());
  }
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return pythonNumber(value);
    case "string":
      return quote(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(",")}]`;
      const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
      keys.sort(compareCodePoints);
      return `{${keys.map((k) => `${quote(k)}:${pythonJsonDumps((value as Record<string, unknown>)[k])}`).join(",")}}`;
    }
    default:
      throw new TypeError(`cannot hash a ${typeof value}`);
  }
}

/**
 * A number as Python's `json.dumps` writes it. A safe integer is an int (`3`), except `-0`,
 * which only a float can be (`-0.0`). Anything else is a float (integers beyond 2^53 cannot
 * have come from an exact int), written as `float.__repr__`: the shortest digits that round-trip
 * (the same digits as JavaScript's), in exponent form when the decimal exponent is below -4 or at
 * least 16, with a sign and at least two exponent digits (`1e-07`, `1.5e-05`, `1e+16`), and
 * `.0` after an integral value written in full (`9007199254740994.0`).
 */
export function pythonNumber(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`cannot hash non-finite number ${value}`);
  if (Object.is(value, -0)) return "-0.0";
  if (Number.isSafeInteger(value)) return String(value);
  const [mantissa, exp] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exp);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  // 1e-4 <= |value| < 1e16: both languages write plain decimals; Python marks integral floats.
  return Number.isInteger(value) ? `${BigInt(value)}.0` : String(value);
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}

export function computeArgsHash(args: Record<string, unknown>): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(pythonJsonDumps(args));
  return hasher.digest("hex");
}
