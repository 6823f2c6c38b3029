/**
 * Compile-time checks (no runtime): `app.enqueue` and friends accept the right arguments and
 * reject the wrong ones for job handles (schema-typed and handler-typed) and taskRefs. Every
 * `@ts-expect-error` below must be an error, or `tsc` fails with "Unused '@ts-expect-error'".
 * Type-checked by `bunx tsc --noEmit -p .` and by test/ecosystem/types.test.ts.
 */
import { Soniq, Type, taskRef, type JobContext, type JobHandle, type Static, type TaskRef } from "soniq";

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type ArgsOf<H> = H extends JobHandle<infer A, any> ? A : H extends TaskRef<infer A> ? A : never;
type ResultOf<H> = H extends JobHandle<any, infer R> ? R : never;

export async function enqueueTypes(app: Soniq): Promise<void> {
  // ---- schema-typed handle: args come from the TypeBox schema
  const WelcomeArgs = Type.Object({ userId: Type.Integer(), template: Type.Optional(Type.String()) });
  const sendWelcome = app.job({ name: "users.send_welcome", validate: WelcomeArgs }, async ({ userId, template }, ctx) => {
    const id: number = userId;
    const t: string | undefined = template;
    const attempt: number = ctx.attempt;
    return { sent: true as boolean, id, t, attempt };
  });
  type _welcomeArgs = Expect<Equal<ArgsOf<typeof sendWelcome>, Static<typeof WelcomeArgs>>>;
  type _welcomeResult = Expect<Equal<ResultOf<typeof sendWelcome>, { sent: boolean; id: number; t: string | undefined; attempt: number }>>;

  await app.enqueue(sendWelcome, { userId: 42 });
  await app.enqueue(sendWelcome, { userId: 42, template: "promo" }, { priority: 1, queue: "emails", scheduledAt: 30 });
  await app.enqueue(sendWelcome, { userId: 42 }, { scheduledAt: new Date(), dedupKey: "welcome-42", unique: true, connection: {} });
  // @ts-expect-error userId must be a number
  await app.enqueue(sendWelcome, { userId: "42" });
  // @ts-expect-error userId is required
  await app.enqueue(sendWelcome, { template: "promo" });
  // @ts-expect-error args are required when a field is required
  await app.enqueue(sendWelcome);
  // @ts-expect-error unknown field
  await app.enqueue(sendWelcome, { userId: 42, extra: true });
  // @ts-expect-error template must be a string
  await app.enqueue(sendWelcome, { userId: 42, template: 1 });
  // @ts-expect-error priority is a number
  await app.enqueue(sendWelcome, { userId: 42 }, { priority: "high" });
  // @ts-expect-error unknown enqueue option
  await app.enqueue(sendWelcome, { userId: 42 }, { delay: 30 });
  // @ts-expect-error scheduledAt is a Date or seconds
  await app.enqueue(sendWelcome, { userId: 42 }, { scheduledAt: "tomorrow" });

  // ---- handler-typed handle: args come from the handler's parameter type
  const add = app.job({ name: "math.add" }, async ({ a, b }: { a: number; b: number }) => a + b);
  type _addArgs = Expect<Equal<ArgsOf<typeof add>, { a: number; b: number }>>;
  type _addResult = Expect<Equal<ResultOf<typeof add>, number>>;
  await app.enqueue(add, { a: 1, b: 2 });
  // @ts-expect-error b is missing
  await app.enqueue(add, { a: 1 });
  // @ts-expect-error a must be a number
  await app.enqueue(add, { a: "1", b: 2 });
  // @ts-expect-error args are required
  await app.enqueue(add);
  const sum: Promise<number> = add.run({ a: 1, b: 2 });
  // @ts-expect-error run() takes the same args
  void add.run({ a: 1 });
  void sum;

  // A handler whose fields are all optional may be enqueued without args.
  const cleanup = app.job({ name: "maintenance.cleanup" }, async (args: { olderThanDays?: number }) => args.olderThanDays ?? 30);
  await app.enqueue(cleanup);
  await app.enqueue(cleanup, {});
  await app.enqueue(cleanup, { olderThanDays: 7 });
  // @ts-expect-error olderThanDays must be a number
  await app.enqueue(cleanup, { olderThanDays: "7" });

  // A handler with no parameters takes any object (or nothing).
  const ping = app.job({ name: "health.ping" }, async () => "pong");
  await app.enqueue(ping);
  // @ts-expect-error args must be an object
  await app.enqueue(ping, 5);

  // The context is typed too.
  app.job({ name: "ctx.typed" }, async (_args: { id: string }, ctx: JobContext) => {
    const signal: AbortSignal = ctx.signal;
    // @ts-expect-error attempt is a number
    const attempt: string = ctx.attempt;
    void signal;
    void attempt;
  });

  // enqueueMany and schedule check each element.
  await app.enqueueMany(add, [{ a: 1, b: 2 }, { a: 3, b: 4 }]);
  // @ts-expect-error the second element misses b
  await app.enqueueMany(add, [{ a: 1, b: 2 }, { a: 3 }]);
  await app.schedule(add, 60, { a: 1, b: 2 });
  await app.schedule(sendWelcome, new Date(Date.now() + 60_000), { userId: 7 });
  // @ts-expect-error schedule checks args like enqueue
  await app.schedule(add, 60, { a: 1, b: "2" });

  // ---- taskRef: typed by a schema, or by a type parameter; no handler in this process
  const InvoiceArgs = Type.Object({ orderId: Type.String(), customer: Type.String() });
  const sendInvoice = taskRef("billing.invoices.send.v2", InvoiceArgs, { defaultQueue: "billing" });
  type _refArgs = Expect<Equal<ArgsOf<typeof sendInvoice>, { orderId: string; customer: string }>>;
  await app.enqueue(sendInvoice, { orderId: "o1", customer: "acme" });
  await app.enqueue(sendInvoice.withDefaultQueue("billing-eu"), { orderId: "o1", customer: "acme" }, { priority: 5 });
  // @ts-expect-error customer is missing
  await app.enqueue(sendInvoice, { orderId: "o1" });
  // @ts-expect-error orderId must be a string
  await app.enqueue(sendInvoice, { orderId: 1, customer: "acme" });
  // @ts-expect-error args are required
  await app.enqueue(sendInvoice);

  const resize = taskRef<{ imageId: number; width?: number }>("media.resize");
  await app.enqueue(resize, { imageId: 1 });
  await app.enqueue(resize, { imageId: 1, width: 320 });
  // @ts-expect-error imageId must be a number
  await app.enqueue(resize, { imageId: "1" });
  // @ts-expect-error unknown field
  await app.enqueue(resize, { imageId: 1, height: 200 });
  await app.enqueueMany(resize, [{ imageId: 1 }, { imageId: 2 }]);
  // @ts-expect-error each element is checked
  await app.enqueueMany(resize, [{ imageId: 1 }, { image: 2 }]);

  // ---- by task name: any JSON object (checked at run time against the registry)
  await app.enqueue("users.send_welcome", { userId: 42 });
  await app.enqueue("maintenance.cleanup");
  // @ts-expect-error args must be an object
  await app.enqueue("users.send_welcome", "42");
  // @ts-expect-error a target is a handle, a taskRef or a string
  await app.enqueue(42, {});
  // @ts-expect-error a plain function is not a job handle
  await app.enqueue(async () => {}, {});

  // ---- Dates (Maps, Sets) would reach the handler as strings ({}): a field typed with one takes nothing
  const remind = app.job({ name: "users.remind" }, async ({ at }: { at: Date; note?: string }) => at.getTime());
  // @ts-expect-error a Date would arrive as an ISO string
  await app.enqueue(remind, { at: new Date() });
  const remindAt = app.job({ name: "users.remind_at" }, async ({ at }: { at: string | Date }) => String(at));
  await app.enqueue(remindAt, { at: new Date().toISOString() });
  // @ts-expect-error a Date in a union is refused too
  await app.enqueue(remindAt, { at: new Date() });
  const nested = app.job({ name: "users.nested" }, async ({ when }: { when: { at: Date }[] }) => when.length);
  // @ts-expect-error nested Dates as well, in enqueueMany too
  await app.enqueueMany(nested, [{ when: [{ at: new Date() }] }]);
  const tags = app.job({ name: "users.tags" }, async ({ tags }: { tags: Set<string> | string[] }) => tags);
  await app.enqueue(tags, { tags: ["a"] });
  // @ts-expect-error a Set would arrive as {}
  await app.enqueue(tags, { tags: new Set(["a"]) });
}
