/**
 * Service B (billing): owns and runs `billing.invoices.send.v2`. The worker finds the handler by
 * the task name the producer wrote.
 *
 *   SONIQ_DATABASE_URL=postgres://shared-pg/jobs bun examples/cross-service/consumer.ts            # worker until Ctrl-C
 *   SONIQ_DATABASE_URL=postgres://shared-pg/jobs bun examples/cross-service/consumer.ts --run-once # drain and exit
 *   SONIQ_DATABASE_URL=postgres://shared-pg/jobs soniq worker --jobs-modules ./examples/cross-service/consumer.ts --queues billing
 */
import { Soniq } from "soniq";
import { InvoiceArgs, SEND_INVOICE } from "./contract.ts";

export const consumer = new Soniq({ databaseUrl: process.env.SONIQ_DATABASE_URL });

/** Invoices already sent, by order id: the idempotency check (a table in a real service). */
const sent = new Set<string>();

export const sendInvoice = consumer.job(
  { name: SEND_INVOICE, validate: InvoiceArgs, queue: "billing", retries: 5, retryBackoff: true },
  async ({ orderId, customer, amountCents }, ctx) => {
    if (sent.has(orderId)) return { orderId, skipped: true }; // at-least-once: a rerun is harmless
    console.log(`invoice for ${orderId}: ${customer} owes ${(amountCents / 100).toFixed(2)} (attempt ${ctx.attempt})`);
    sent.add(orderId);
    return { orderId, skipped: false };
  },
);

if (import.meta.main) {
  await consumer.setup(); // idempotent; in production run `soniq setup` once per deploy
  const summary = await consumer.runWorker({ queues: ["billing"], runOnce: process.argv.includes("--run-once") });
  console.log(`consumer: ${summary.succeeded} succeeded, ${summary.deadLettered} dead-lettered`);
  await consumer.close();
}
