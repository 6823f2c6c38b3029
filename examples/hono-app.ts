/**
 * The order API of bun-serve-orders.ts, with Hono: POST /orders writes the order and enqueues
 * its invoice job in one transaction. This one uses Soniq's own postgres.js client (`app.sql`)
 * for the business write, so the app needs no second connection pool.
 *
 *   SONIQ_DATABASE_URL=postgres://localhost/shop bun examples/hono-app.ts
 *   curl -X POST localhost:3000/orders -H 'content-type: application/json' -d '{"product":"mug","quantity":2}'
 */
import { Hono } from "hono";
import { Soniq, Type } from "soniq";

export const MAX_QUANTITY = 100;

class OutOfStock extends Error {}

export function createApi(app: Soniq) {
  const sendInvoice = app.job(
    { name: "orders.send_invoice", queue: "invoices", retries: 5, validate: Type.Object({ orderId: Type.Integer() }) },
    async ({ orderId }) => {
      const rows = await app.sql`UPDATE orders SET invoiced_at = now() WHERE id = ${orderId} AND invoiced_at IS NULL RETURNING id`;
      return { orderId, sent: rows.length === 1 };
    },
  );

  const api = new Hono();

  api.post("/orders", async (c) => {
    const body = await c.req.json().catch(() => null);
    if (typeof body?.product !== "string" || body.product.length === 0 || !Number.isInteger(body?.quantity) || body.quantity < 1) {
      return c.json({ error: "expected {product, quantity}" }, 400);
    }
    try {
      const created = await app.sql.begin(async (tx) => {
        const [order] = await tx<{ id: number }[]>`INSERT INTO orders (product, quantity) VALUES (${body.product}, ${body.quantity}) RETURNING id`;
        const jobId = await app.enqueue(sendInvoice, { orderId: order!.id }, { connection: tx });
        if (body.quantity > MAX_QUANTITY) throw new OutOfStock(`only ${MAX_QUANTITY} ${body.product} in stock`); // rolls back both
        return { orderId: order!.id, jobId };
      });
      return c.json(created, 201);
    } catch (error) {
      if (error instanceof OutOfStock) return c.json({ error: error.message }, 409);
      throw error;
    }
  });

  api.get("/orders/:id", async (c) => {
    const [order] = await app.sql`SELECT id, product, quantity, invoiced_at FROM orders WHERE id = ${Number(c.req.param("id")) || 0}`;
    return order ? c.json(order) : c.json({ error: "not found" }, 404);
  });

  api.get("/jobs/:id", async (c) => {
    const status = await app.getJobStatus(c.req.param("id"));
    return status ? c.json(status) : c.json({ error: "not found" }, 404);
  });

  return { api, sendInvoice };
}

export async function start({ port = 3000, databaseUrl = process.env.SONIQ_DATABASE_URL }: { port?: number; databaseUrl?: string } = {}) {
  if (!databaseUrl) throw new Error("set SONIQ_DATABASE_URL (transactional enqueue needs PostgreSQL)");
  const app = new Soniq({ databaseUrl });
  const { api, sendInvoice } = createApi(app);
  await app.setup();
  await app.sql`CREATE TABLE IF NOT EXISTS orders (
    id serial PRIMARY KEY, product text NOT NULL, quantity int NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(), invoiced_at timestamptz)`;
  const server = Bun.serve({ port, fetch: api.fetch });
  return {
    server,
    app,
    api,
    sendInvoice,
    url: server.url.href.replace(/\/$/, ""),
    async stop() {
      await server.stop(true);
      await app.close();
    },
  };
}

if (import.meta.main) {
  const shop = await start({ port: Number(process.env.PORT ?? 3000) });
  console.log(`orders API (Hono) on ${shop.url}; worker running (Ctrl-C to stop)`);
  await shop.app.runWorker({ concurrency: 4 });
  await shop.stop();
}
