/**
 * `bun run demo`: a few hundred jobs through the zero-setup default (an embedded SQLite file,
 * ./soniq.db): most succeed, some fail once and retry, one fails for good and lands in the
 * dead-letter queue. Then a summary table.
 */
import { Soniq, Type } from "../src/index.ts";

const app = new Soniq({ pollInterval: 0.05, logLevel: "warn" });

const sendEmail = app.job(
  { name: "demo.send_email", validate: Type.Object({ to: Type.String(), template: Type.String() }) },
  async ({ to }) => {
    await Bun.sleep(Math.random() * 4);
    return { delivered: to };
  },
);

const flaky = new Set<number>();
const resizeImage = app.job({ name: "demo.resize_image", retries: 3 }, async ({ imageId }: { imageId: number }, ctx) => {
  // Every fifth image fails on its first attempt, then succeeds on retry.
  if (imageId % 5 === 0 && ctx.attempt === 1) {
    flaky.add(imageId);
    throw new Error(`thumbnail service busy for image ${imageId}`);
  }
  await Bun.sleep(Math.random() * 2);
  return { width: 320 };
});

const chargeCard = app.job({ name: "demo.charge_card", retries: 2 }, async ({ orderId }: { orderId: string }) => {
  throw new Error(`card declined for order ${orderId}`);
});

await app.setup();
const started = performance.now();
const emailIds = await app.enqueueMany(sendEmail, Array.from({ length: 250 }, (_, i) => ({ to: `user${i}@example.com`, template: "welcome" })));
const imageIds = await app.enqueueMany(resizeImage, Array.from({ length: 100 }, (_, i) => ({ imageId: i })));
const deadId = await app.enqueue(chargeCard, { orderId: "o-1042" });
const total = emailIds.length + imageIds.length + 1;

let finished = 0;
let attempts = 0;
app.afterJob(() => void (attempts++, finished++));
app.onError((_ctx, _err, { willRetry }) => void (attempts++, willRetry || finished++));
const tty = process.stdout.isTTY;
const progress = setInterval(() => {
  const line = `processing: ${finished}/${total} jobs finished, ${attempts} attempts`;
  if (tty) process.stdout.write(`\r${line}`);
  else console.log(line);
}, tty ? 100 : 500);

const summary = await app.runWorker({ runOnce: true, concurrency: 8 });
clearInterval(progress);
console.log(`${tty ? "\r" : ""}processing: ${finished}/${total} jobs finished, ${attempts} attempts`);
const seconds = (performance.now() - started) / 1000;

const dead = await app.deadLetter.get(deadId);
const rows: [string, string][] = [
  ["jobs enqueued", String(total)],
  ["done", String(summary.succeeded)],
  ["retried (attempts that failed and were retried)", String(summary.retried)],
  ["dead-lettered", String(summary.deadLettered)],
  ["dead-letter reason", dead ? `${dead.reason} after ${dead.attempts} attempts` : "-"],
  ["elapsed", `${seconds.toFixed(2)} s`],
  ["throughput", `${Math.round(total / seconds)} jobs/s`],
  ["storage", "SQLite ./soniq.db (set SONIQ_DATABASE_URL=postgres://... for Postgres)"],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log("\nSoniq demo summary");
console.log(`${"-".repeat(width)}  ${"-".repeat(20)}`);
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
await app.close();

if (summary.succeeded !== total - 1 || summary.deadLettered !== 1 || summary.retried !== flaky.size + 2) {
  console.error("demo: unexpected outcome", summary);
  process.exit(1);
}
