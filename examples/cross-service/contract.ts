/**
 * The wire contract between the services: a task name and the shape of its args. In a real
 * setup this lives in a small shared package (or is copied into each repo); it holds no handler
 * code, so the producer never imports the consumer's implementation.
 */
import { Type, taskRef, type Static } from "soniq";

export const InvoiceArgs = Type.Object({
  orderId: Type.String({ minLength: 1 }),
  customer: Type.String({ minLength: 1 }),
  amountCents: Type.Integer({ minimum: 0 }),
});
export type InvoiceArgs = Static<typeof InvoiceArgs>;

/** Dotted lowercase with a version suffix: renaming a function never changes the wire name. */
export const SEND_INVOICE = "billing.invoices.send.v2";

/** Typed and validated at enqueue; routed to the consumer's "billing" queue by default. */
export const sendInvoice = taskRef(SEND_INVOICE, InvoiceArgs, { defaultQueue: "billing" });
