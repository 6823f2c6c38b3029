/**
 * Human and machine output. Tables are aligned; colour is used only when stdout is a TTY
 * and NO_COLOR is unset. JSON goes to stdout untouched; messages and errors go to stderr.
 */

export function useColor(stream: { isTTY?: boolean } = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export type Color = "red" | "green" | "yellow" | "blue" | "cyan" | "gray" | "bold" | "dim";
const CODES: Record<Color, [number, number]> = {
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  cyan: [36, 39],
  gray: [90, 39],
  bold: [1, 22],
  dim: [2, 22],
};

export function paint(text: string, color: Color | undefined, enabled: boolean = useColor()): string {
  if (!color || !enabled) return text;
  const [open, close] = CODES[color];
  return `\u001B[${open}m${text}\u001B[${close}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes
const ANSI = /\u001B\[[0-9;]*m/g;
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/**
 * Writes are chained through `Bun.write` so that `flushOutput()` can wait for every byte:
 * `process.stdout.write` to a pipe is asynchronous in Bun and `process.exit` would cut it off.
 */
let pending: Promise<unknown> = Promise.resolve();
function write(target: typeof Bun.stdout, text: string): void {
  pending = pending.then(() => Bun.write(target, text)).catch(() => {}); // EPIPE (`| head`): nothing left to do
}

/** Write a line (or a block) to stdout. */
export function out(text = ""): void {
  write(Bun.stdout, text.endsWith("\n") ? text : `${text}\n`);
}

/** Write a message to stderr. */
export function note(text: string): void {
  write(Bun.stderr, text.endsWith("\n") ? text : `${text}\n`);
}

/** Print a value as JSON (Dates become ISO strings). */
export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Wait until everything written to stdout/stderr has been handed to the OS (before process.exit). */
export async function flushOutput(): Promise<void> {
  let seen: Promise<unknown>;
  do {
    seen = pending;
    await seen;
  } while (seen !== pending);
}

export type Cell = string | number | null | undefined | { text: string; color?: Color };

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined) return "-";
  if (typeof cell === "object") return cell.text;
  return String(cell);
}

/**
 * An aligned table: a bold header row, then one line per row, columns separated by two
 * spaces. Numbers are right-aligned. Returns the text (no trailing newline).
 */
export function renderTable(headers: string[], rows: Cell[][], color: boolean = useColor()): string {
  const texts = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((h, i) => Math.max(h.length, ...texts.map((r) => r[i]!.length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || r[i] === null || r[i] === undefined));
  const line = (cells: string[], colors: (Color | undefined)[]) =>
    cells
      .map((text, i) => {
        const padded = numeric[i] ? text.padStart(widths[i]!) : i === cells.length - 1 ? text : text.padEnd(widths[i]!);
        return paint(padded, colors[i], color);
      })
      .join("  ")
      .trimEnd();
  const head = line(headers, headers.map(() => "bold" as const));
  const body = rows.map((row, r) => line(texts[r]!, row.map((c) => (c && typeof c === "object" ? c.color : undefined))));
  return [head, ...body].join("\n");
}

export function printTable(headers: string[], rows: Cell[][]): void {
  out(renderTable(headers, rows));
}

/** `key: value` lines with the keys aligned. */
export function renderFields(fields: [string, Cell][], color: boolean = useColor()): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields
    .map(([key, value]) => {
      const text = cellText(value);
      const colored = value && typeof value === "object" ? paint(text, value.color, color) : text;
      const indented = colored.includes("\n") ? colored.replace(/\n/g, `\n${" ".repeat(width + 2)}`) : colored;
      return `${paint(`${key}:`.padEnd(width + 1), "bold", color)} ${indented}`;
    })
    .join("\n");
}

/** `2024-05-01 12:00:00Z` (UTC, second precision). */
export function formatTime(date: Date | null | undefined): string {
  if (!date) return "-";
  return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

/** A short human age: `42s`, `5m`, `3h`, `2d`. */
export function formatAge(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "-";
  const s = Math.max(0, seconds);
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.floor(s % 60) ? `${Math.floor(s % 60)}s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? `${Math.floor((s % 86400) / 3600)}h` : ""}`;
}

/** Shorten text to one line of at most `max` characters. */
export function truncate(text: string | null | undefined, max = 60): string {
  if (!text) return "-";
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const STATUS_COLORS: Record<string, Color> = {
  queued: "yellow",
  processing: "cyan",
  done: "green",
  cancelled: "gray",
  dead_letter: "red",
  active: "green",
  stopping: "yellow",
  stopped: "gray",
  stale: "red",
};

export function statusCell(status: string): Cell {
  return { text: status, color: STATUS_COLORS[status] };
}
