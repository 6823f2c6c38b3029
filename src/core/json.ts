import { ErrorCodes, SoniqError } from "../errors.ts";
import { isStorableText } from "./text.ts";

/** Serialise args once, refusing what JSON cannot carry faithfully (functions, BigInt, symbols, cycles, NaN). */
export function serializeArgs(args: unknown, maxBytes: number, what = "args"): string {
  const proto = args !== null && typeof args === "object" ? Object.getPrototypeOf(args) : undefined;
  if (args === null || typeof args !== "object" || Array.isArray(args) || (proto !== Object.prototype && proto !== null)) {
    throw new SoniqError(ErrorCodes.INVALID_ARGUMENT, `${what} must be a plain object of named arguments`, { received: describe(args) });
  }
  const text = serializeJson(args, what, { refuseLossy: true });
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new SoniqError(ErrorCodes.ARGS_TOO_LARGE, `${what} serialise to ${bytes} bytes, over the limit of ${maxBytes} (maxArgsBytes)`, { bytes, limit: maxBytes });
  }
  return text;
}

/**
 * Values JSON turns into something else without a word: a `Date` becomes an ISO string, a `Map`,
 * `Set` or `RegExp` an empty object. As job args they would reach the handler as another type
 * than the one it was written for, so `serializeArgs` refuses them (see docs/choices.md).
 */
function lossyKind(raw: unknown): string | undefined {
  if (raw instanceof Date) return "a Date (it would reach the handler as an ISO string): pass date.toISOString() or date.getTime() and convert in the handler";
  if (raw instanceof Map) return "a Map (it would reach the handler as {}): pass Object.fromEntries(map)";
  if (raw instanceof Set) return "a Set (it would reach the handler as {}): pass [...set]";
  if (raw instanceof RegExp) return "a RegExp (it would reach the handler as {}): pass its source string";
  return undefined;
}

export function serializeJson(value: unknown, what = "value", options: { refuseLossy?: boolean } = {}): string {
  const refuseLossy = options.refuseLossy === true;
  try {
    const text = JSON.stringify(value, function (this: unknown, key, v) {
      if (refuseLossy) {
        const raw = key === "" ? value : (this as Record<string, unknown>)[key];
        const lossy = lossyKind(raw);
        if (lossy) throw new TypeError(`${what}${key ? `.${key}` : ""} is ${lossy}`);
      }
      // PostgreSQL's jsonb cannot hold NUL characters or lone surrogates: refuse them on every backend.
      if (key && !isStorableText(key)) throw new TypeError(`${what} has a key with a NUL character or a lone surrogate`);
      if (typeof v === "string" && !isStorableText(v)) throw new TypeError(`${what}${key ? `.${key}` : ""} has a NUL character or a lone surrogate`);
      if (typeof v === "function" || typeof v === "symbol") throw new TypeError(`${what}${key ? `.${key}` : ""} is a ${typeof v}`);
      if (typeof v === "bigint") throw new TypeError(`${what}${key ? `.${key}` : ""} is a BigInt (pass it as a string)`);
      if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`${what}${key ? `.${key}` : ""} is ${v}`);
      return v;
    });
    return text ?? "null";
  } catch (cause) {
    const message = cause instanceof TypeError && /circular|cyclic/i.test(cause.message) ? `${what} contain a cycle` : (cause as Error).message;
    throw new SoniqError(ErrorCodes.NOT_SERIALIZABLE, `${what} are not JSON-serialisable: ${message}`, {}, { cause });
  }
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
