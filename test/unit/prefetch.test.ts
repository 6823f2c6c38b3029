import { expect, test } from "bun:test";
import { Prefetch } from "../../src/worker/prefetch.ts";

test("a fixed prefetch never moves", () => {
  const p = Prefetch.fixed(7);
  for (let i = 0; i < 1000; i++) p.jobFinished();
  p.claimed(50);
  expect(p.value).toBe(7);
  expect(p.ceiling).toBe(7);
});

test("an adaptive prefetch starts at concurrency, grows with a fast job rate, and stays within its bounds", async () => {
  const p = Prefetch.adaptive(10, 1000);
  expect(p.value).toBe(10);
  // Fast jobs: thousands finish between claims that take 20 ms.
  for (let round = 0; round < 5; round++) {
    await Bun.sleep(25);
    for (let i = 0; i < 2000; i++) p.jobFinished();
    p.claimed(20);
  }
  expect(p.value).toBeGreaterThan(100);
  expect(p.value).toBeLessThanOrEqual(1000);
  // Slow jobs: almost nothing finishes; it falls back towards concurrency.
  for (let round = 0; round < 12; round++) {
    await Bun.sleep(25);
    p.claimed(20);
  }
  expect(p.value).toBe(10);
});

test("the ceiling is never below concurrency", () => {
  expect(Prefetch.adaptive(2000, 1000).ceiling).toBe(2000);
  expect(Prefetch.adaptive(2000, 1000).value).toBe(2000);
});
