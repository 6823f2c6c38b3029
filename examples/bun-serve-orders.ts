/**
 * An order API on `Bun.serve`: POST /orders writes the order row and enqueues its invoice job in
 * one transaction (Bun's own Postgres client, `Bun.sql`), so there is never an order without an
 * invoice job, nor an invoice job for an order that was rolled back.
 *
 *   SONIQ_DATABASE_URL=postgres://localhost/shop bun examples/bun-serve-orders.ts
 *   curl -X POST localhost:3000/orders -H 'content-type: application/json' -d '{"product":"mug","quantity":2}'
 *   curl localhost:3000/orders/1
 *
 * Run directly, it serves HTTP and runs a worker in the same process (convenient for a demo). In
 * production run the worker separately: `soniq worker --jobs-modules ./jobs.ts`.
 */
import { SQL } from "bun";
import { Soniq, Type } from "soniq";

/** The stock we pretend to have: bigger orders fail inside the transaction, after the enqueue. */
export const MAX_QUANTITY = 100;

class OutOfStock extends Error {}

export interface StartOptions {
  /** 0 picks a free port. */
  port?: number;
  databaseUrl?: string;
}

export async function start({ port = 3000, databaseUrl = process.env.SONIQ_DATABASE_URL }: StartOptions = {}) {
  if (!databaseUrl) throw new Error("set SONIQ_DATABASE_URL (transactional enqueue needs PostgreSQL)");
  const app = new Soniq({ databaseUrl });
  const db = new SQL(databaseUrl); // the app's own client: Bun.sql

  const sendInvoice = app.job(
    { name: "orders.send_invoice", queue: "invoices", retries: 5, retryDelay: [1, 5, 30], validate: Type.Object({ orderId: Type.Integer() }) },
    async ({ orderId }) => {
      // Idempotent: a second run (at-least-once delivery) changes nothing.
      const rows = await db`UPDATE orders SET invoiced_at = now() WHERE id = ${orderId} AND invoiced_at IS NULL RETURNING id`;
      return { orderId, sent: rows.length === 1 };
    },
  );

  await app.setup(); // Soniq's tables (idempotent); run `soniq setup` once per deploy instead in production
  await db`CREATE TABLE IF NOT EXISTS orders (
    id serial PRIMARY KEY, product text NOT NULL, quantity int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), invoiced_at timestamptz)`;

  async function createOrder(product: string, quantity: number): Promise<{ orderId: number; jobId: string }> {
    return db.begin(async (tx) => {
      const [order] = await tx`INSERT INTO orders (product, quantity) VALUES (${product}, ${quantity}) RETURNING id`;
      const jobId = await app.enqueue(sendInvoice, { orderId: order.id }, { connection: tx });
      // Anything that throws from here on rolls back the order *and* the job.
      if (quantity > MAX_QUANTITY) throw new OutOfStock(`only ${MAX_QUANTITY} ${product} in stock`);
      return { orderId: order.id as number, jobId };
    });
  }

  const server = Bun.serve({
    port,
    routes: {
      "/orders": {
        POST: async (req) => {
          const body = await req.json().catch(() => null);
          if (!isOrderBody(body)) return Response.json({ error: "expected {product, quantity}" }, { status: 400 });
          try {
            return Response.json(await createOrder(body.product, body.quantity), { status: 201 });
          } catch (error) {
            if (error instanceof OutOfStock) return Response.json({ error: error.message }, { status: 409 });
            throw error;
          }
        },
      },
      "/orders/:id": async (req) => {
        const [order] = await db`SELECT id, product, quantity, invoiced_at FROM orders WHERE id = ${Number(req.params.id) || 0}`;
        return order ? Response.json(order) : Response.json({ error: "not found" }, { status: 404 });
      },
    },
    error: (error) => Response.json({ error: String(error) }, { status: 500 }),
  });

  return {
    server,
    app,
    db,
    sendInvoice,
    url: server.url.href.replace(/\/$/, ""),
    async stop() {
      await server.stop(true);
      await app.close();
      await db.close();
    },
  };
}

function isOrderBody(body: unknown): body is { product: string; quantity: number } {
  const b = body as { product?: unknown; quantity?: unknown } | null;
  return typeof b?.product === "string" && b.product.length > 0 && Number.isInteger(b.quantity) && (b.quantity as number) >= 1;
}

if (import.meta.main) {
  const shop = await start({ port: Number(process.env.PORT ?? 3000) });
  console.log(`orders API on ${shop.url}; worker running (Ctrl-C to stop)`);
  await shop.app.runWorker({ concurrency: 4 }); // returns after SIGINT/SIGTERM, once running jobs finish
  await shop.stop();
}
