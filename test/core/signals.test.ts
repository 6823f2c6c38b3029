/**
 * `onShutdownSignals` and `forceExit` (src/core/signals.ts), in child processes (a signal sent to
 * the test runner itself would kill it if a handler were missing).
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";

const SIGNALS = join(import.meta.dir, "../../src/core/signals.ts");

interface Child {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  output(): string;
  exited: Promise<number>;
}

/** Run `body` in a child with `onShutdownSignals`/`forceExit` imported; it prints "ready" once its handlers are in. */
function child(body: string): Child {
  const script = `import { onShutdownSignals, forceExit, SHUTDOWN_SIGNALS } from ${JSON.stringify(SIGNALS)};\n${body}\nconsole.log("ready");\nsetInterval(() => {}, 1000);\n`;
  const proc = Bun.spawn(["bun", "-e", script], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  return { proc, output: () => text, exited: pumps.then(() => proc.exited) };
}

async function until(c: Child, text: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!c.output().includes(text)) {
    if (Date.now() > deadline) {
      c.proc.kill("SIGKILL");
      throw new Error(`no "${text}" within ${ms} ms; output:\n${c.output()}`);
    }
    await Bun.sleep(20);
  }
}

const HANDLERS = `
const remove = onShutdownSignals({
  onFirst: (s) => console.log("first " + s),
  onSecond: (s) => { console.log("second " + s); forceExit(() => Bun.sleep(Number(process.env.CLEANUP_MS ?? 0)).then(() => console.log("cleaned"))); },
});
`;

describe("onShutdownSignals", () => {
  for (const first of ["SIGHUP", "SIGINT", "SIGTERM"] as const) {
    test(`first ${first} calls onFirst (the process lives on); the next signal calls onSecond, which exits 130 after its cleanup`, async () => {
      const c = child(HANDLERS);
      await until(c, "ready");
      c.proc.kill(first);
      await until(c, `first ${first}`);
      await Bun.sleep(100);
      expect(c.proc.exitCode).toBeNull();
      c.proc.kill("SIGTERM");
      expect(await c.exited).toBe(130);
      expect(c.output()).toContain("second SIGTERM");
      expect(c.output()).toContain("cleaned");
    });
  }

  test("forceExit exits 130 after 2 s when the cleanup hangs", async () => {
    const c = child(HANDLERS.replace("process.env.CLEANUP_MS ?? 0", "60_000"));
    await until(c, "ready");
    c.proc.kill("SIGHUP");
    await until(c, "first SIGHUP");
    const sent = Date.now();
    c.proc.kill("SIGHUP");
    expect(await c.exited).toBe(130);
    const took = Date.now() - sent;
    expect(took).toBeGreaterThanOrEqual(1_500);
    expect(took).toBeLessThan(8_000);
    expect(c.output()).not.toContain("cleaned");
  });

  test("without onSecond the second signal exits 130 at once; the remover restores the default", async () => {
    const plain = child(`onShutdownSignals({ onFirst: (s) => console.log("first " + s) });`);
    await until(plain, "ready");
    plain.proc.kill("SIGINT");
    await until(plain, "first SIGINT");
    plain.proc.kill("SIGINT");
    expect(await plain.exited).toBe(130);

    const removed = child(`const remove = onShutdownSignals({ onFirst: () => console.log("handled") }); remove(); remove(); console.log(SHUTDOWN_SIGNALS.join(","));`);
    await until(removed, "ready");
    expect(removed.output()).toContain("SIGINT,SIGTERM,SIGHUP");
    removed.proc.kill("SIGHUP");
    await removed.exited;
    expect(removed.proc.signalCode).toBe("SIGHUP"); // killed by the default action: no handler left
    expect(removed.output()).not.toContain("handled");
  });
});
