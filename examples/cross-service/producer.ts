/**
 * Service A (for example the storefront): enqueues invoices that service B sends. It imports the
 * contract (a taskRef), never B's handler, and runs no worker.
 *
 *   SONIQ_DATABASE_URL=postgres://shared-pg/jobs bun examples/cross-service/producer.ts o-1001 acme 4200
 */
import { Soniq } from "soniq";
import { sendInvoice, SEND_INVOICE, type InvoiceArgs } from "./contract.ts";

export function createProducer(databaseUrl = process.env.SONIQ_DATABASE_URL): Soniq {
  // No local registry: a taskRef skips the registry check; enqueueing by bare name needs "warn" or "none".
  return new Soniq({ databaseUrl, enqueueValidation: "warn" });
}

/** Typed: `args` is checked against the contract's schema before anything is written. */
export async function requestInvoice(producer: Soniq, args: InvoiceArgs): Promise<string> {
  return producer.enqueue(sendInvoice, args);
}

/** Untyped, by bare task name: fine for scripts; the consumer's schema still guards the handler. */
export async function requestInvoiceByName(producer: Soniq, args: InvoiceArgs): Promise<string> {
  return producer.enqueue(SEND_INVOICE, args, { queue: "billing" });
}

if (import.meta.main) {
  const [orderId = "o-1001", customer = "acme", amount = "4200"] = process.argv.slice(2);
  const producer = createProducer();
  try {
    const id = await requestInvoice(producer, { orderId, customer, amountCents: Number(amount) });
    console.log(`enqueued ${SEND_INVOICE} ${id}`);
  } finally {
    await producer.close();
  }
}
