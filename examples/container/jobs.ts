/**
 * The job module the container's `soniq` binary loads at start (SONIQ_JOBS_MODULES=./jobs.ts).
 * It may import "soniq" (the binary provides it) and Bun/Node builtins; anything else would need
 * node_modules in the image (see README.md in this folder).
 */
import { Soniq, Type, daily } from "soniq";

export const app = new Soniq(); // SONIQ_DATABASE_URL and every other SONIQ_* setting come from the environment

export const sendWelcome = app.job(
  { name: "users.send_welcome", retries: 5, retryDelay: [1, 5, 30], timeout: 120, validate: Type.Object({ userId: Type.Integer() }) },
  async ({ userId }, ctx) => {
    const res = await fetch(`${process.env.MAILER_URL ?? "http://mailer.internal"}/welcome/${userId}`, { method: "POST", signal: ctx.signal });
    if (!res.ok) throw new Error(`mailer answered ${res.status}`);
    return { sent: true };
  },
);

/** Every night at 03:00 UTC, drop dead letters older than 30 days (needs `soniq scheduler` running). */
export const purgeDeadLetters = app.periodic({ cron: daily().at("03:00"), name: "maintenance.purge_dead_letters" }, async () => {
  const purged = await app.deadLetter.purge({ before: new Date(Date.now() - 30 * 86_400_000) });
  return { purged };
});
