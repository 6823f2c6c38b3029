/** The cron DSL, schedule specs and next-run computation (no database). */
import { describe, expect, test } from "bun:test";
import { parseCronExpression } from "cron-schedule";
import { cron, daily, ErrorCodes, every, Interval, monthly, Soniq, SoniqError, weekly } from "../../src/index.ts";
import { parseCron } from "../../src/scheduler/cron.ts";
import { decodeSpec, encodeSpec, nextRunAfter, parseWhen } from "../../src/scheduler/spec.ts";

function expectInvalid(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SoniqError);
    expect((error as SoniqError).code).toBe(ErrorCodes.INVALID_SCHEDULE);
    return error as SoniqError;
  }
  throw new Error("expected SONIQ_INVALID_SCHEDULE, nothing was thrown");
}

describe("DSL strings (the seeds' table)", () => {
  test("terminals return the exact cron strings", () => {
    expect(every(5).minutes()).toBe("*/5 * * * *");
    expect(every(2).hours()).toBe("0 */2 * * *");
    expect(every(3).days()).toBe("0 0 */3 * *");
    expect(daily().at("09:00")).toBe("0 9 * * *");
    expect(weekly().on("monday").at("09:00")).toBe("0 9 * * 1");
    expect(monthly().onDay(15).at("12:00")).toBe("0 12 15 * *");
    expect(cron("*/15 * * * *")).toBe("*/15 * * * *");
  });

  test("builders stringify to their defaults", () => {
    expect(String(daily())).toBe("0 0 * * *");
    expect(String(weekly())).toBe("0 0 * * 0");
    expect(String(weekly().on("fri"))).toBe("0 0 * * 5");
    expect(String(monthly())).toBe("0 0 1 * *");
    expect(String(monthly().onDay(31))).toBe("0 0 31 * *");
    expect(`${daily()}`).toBe("0 0 * * *");
  });

  test("every(n).seconds() is an interval value", () => {
    const i = every(30).seconds();
    expect(i).toBeInstanceOf(Interval);
    expect(i.seconds).toBe(30);
    expect(+i).toBe(30);
    expect(parseWhen({ every: i }, "t")).toEqual({ type: "interval", seconds: 30 });
  });

  test("weekday names are case-insensitive, short or long, or 0-6 with Sunday = 0", () => {
    expect(weekly().on("Sunday").at("00:30")).toBe("30 0 * * 0");
    expect(weekly().on("SAT").at("23:59")).toBe("59 23 * * 6");
    expect(weekly().on(3).at("7:05")).toBe("5 7 * * 3");
    expect(weekly().at("09:00")).toBe("0 9 * * 0");
    expect(monthly().at("12:00")).toBe("0 12 1 * *");
  });

  test("bad values throw SONIQ_INVALID_SCHEDULE", () => {
    expectInvalid(() => every(0));
    expectInvalid(() => every(-1));
    expectInvalid(() => every(1.5));
    expectInvalid(() => every("5" as unknown as number));
    expectInvalid(() => every(60).minutes());
    expectInvalid(() => every(24).hours());
    expectInvalid(() => every(32).days());
    for (const bad of ["9", "24:00", "12:60", "12-00", "ab:cd", "", "9:0", " : "]) expectInvalid(() => daily().at(bad));
    expectInvalid(() => daily().at(900 as unknown as string));
    expectInvalid(() => weekly().on("funday"));
    expectInvalid(() => weekly().on(7));
    expectInvalid(() => weekly().on(-1));
    expectInvalid(() => monthly().onDay(0));
    expectInvalid(() => monthly().onDay(32));
    expectInvalid(() => cron("not a cron"));
    expectInvalid(() => cron(5 as unknown as string));
  });

  test("every DSL string is a valid cron expression", () => {
    for (const expr of [every(5).minutes(), every(2).hours(), every(3).days(), daily().at("09:00"), weekly().on("monday").at("09:00"), monthly().onDay(15).at("12:00")]) {
      expect(() => parseCron(expr)).not.toThrow();
    }
  });
});

describe("cron parsing", () => {
  test("accepts 5-field expressions, names and nicknames", () => {
    for (const expr of ["* * * * *", "0 9 * * 1-5", "*/15 9-17 * jan,jul mon-fri", "0 0 1 1 *", "@daily", "@hourly", "@weekly", "@monthly", "@yearly", "@midnight", "5 4 * * sun", "0 0 * * 7"]) {
      expect(() => parseCron(expr)).not.toThrow();
    }
  });

  test("rejects wrong field counts, bad values and impossible dates", () => {
    const e = expectInvalid(() => parseCron("0 9 * *"));
    expect(e.message).toContain("Invalid cron expression");
    expect(e.message).toContain("5-field");
    for (const expr of ["", "0 0 0 9 * * *", "0 0 9 * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "0 0 30 2 *", "@every_minute", "a b c d e", "*/0 * * * *"]) {
      expectInvalid(() => parseCron(expr));
    }
  });

  test("next run in UTC matches cron-schedule's own computation (process TZ is UTC here)", () => {
    // cron-schedule evaluates in the process's local zone; under `bun test` that is UTC, so the two must agree.
    expect(new Date(2024, 0, 1).getTimezoneOffset()).toBe(0);
    const exprs = ["*/5 * * * *", "0 */2 * * *", "0 0 */3 * *", "0 9 * * 1", "0 12 15 * *", "30 4 1,15 * 5", "15 10 * * 1-5", "59 23 31 * *", "0 0 * * 0", "*/7 * * * *", "0 0 1 */3 *", "0 8-18/2 * * mon-fri"];
    let start = Date.UTC(2023, 11, 28, 22, 47, 13, 500);
    for (const expr of exprs) {
      const ours = parseCron(expr);
      const theirs = parseCronExpression(expr);
      let after = new Date(start);
      for (let i = 0; i < 40; i++) {
        const a = ours.next(after);
        const b = theirs.getNextDate(after);
        expect(a.toISOString(), `${expr} after ${after.toISOString()}`).toBe(b.toISOString());
        after = a;
      }
      start += 7_919_000_123;
    }
  });

  test("leap days are found years ahead", () => {
    const leap = parseCron("0 0 29 2 *");
    expect(leap.next(new Date("2024-03-01T00:00:00Z")).toISOString()).toBe("2028-02-29T00:00:00.000Z");
    expect(leap.next(new Date("2096-03-01T00:00:00Z")).toISOString()).toBe("2104-02-29T00:00:00.000Z"); // 2100 is not a leap year
  });

  test("next run is strictly after the given time", () => {
    const c = parseCron("0 9 * * *");
    expect(c.next(new Date("2025-01-01T09:00:00Z")).toISOString()).toBe("2025-01-02T09:00:00.000Z");
    expect(c.next(new Date("2025-01-01T08:59:59.999Z")).toISOString()).toBe("2025-01-01T09:00:00.000Z");
    expect(c.next(new Date("2025-01-01T09:00:00.001Z")).toISOString()).toBe("2025-01-02T09:00:00.000Z");
  });
});

describe("time zones", () => {
  test("a cron with a timezone runs at that zone's wall time, across DST", () => {
    const paris = parseCron("0 9 * * *", "Europe/Paris");
    expect(paris.timezone).toBe("Europe/Paris");
    expect(paris.next(new Date("2025-03-28T12:00:00Z")).toISOString()).toBe("2025-03-29T08:00:00.000Z"); // CET, +1
    expect(paris.next(new Date("2025-03-29T12:00:00Z")).toISOString()).toBe("2025-03-30T07:00:00.000Z"); // CEST, +2
    const ny = parseCron("0 9 * * 1", "America/New_York");
    expect(ny.next(new Date("2025-01-01T00:00:00Z")).toISOString()).toBe("2025-01-06T14:00:00.000Z");
    expect(ny.next(new Date("2025-07-01T00:00:00Z")).toISOString()).toBe("2025-07-07T13:00:00.000Z");
    const kolkata = parseCron("30 0 * * *", "Asia/Kolkata");
    expect(kolkata.next(new Date("2025-05-01T00:00:00Z")).toISOString()).toBe("2025-05-01T19:00:00.000Z");
  });

  test("a wall time in the spring-forward gap runs shifted by the gap; a repeated one runs once", () => {
    const gap = parseCron("30 2 * * *", "Europe/Paris");
    expect(gap.next(new Date("2025-03-29T12:00:00Z")).toISOString()).toBe("2025-03-30T01:30:00.000Z"); // 03:30 CEST
    expect(gap.next(new Date("2025-03-30T01:30:00Z")).toISOString()).toBe("2025-03-31T00:30:00.000Z"); // 02:30 CEST
    const repeated = parseCron("30 1 * * *", "America/New_York");
    const first = repeated.next(new Date("2025-11-01T12:00:00Z"));
    expect(first.toISOString()).toBe("2025-11-02T05:30:00.000Z"); // 01:30 EDT, the first of the two
    expect(repeated.next(first).toISOString()).toBe("2025-11-03T06:30:00.000Z"); // next day, 01:30 EST
  });

  test("UTC aliases mean plain UTC; unknown zones are refused", () => {
    expect(parseCron("0 9 * * *", "UTC").timezone).toBeNull();
    expect(parseCron("0 9 * * *", "Etc/UTC").timezone).toBeNull();
    expectInvalid(() => parseCron("0 9 * * *", "Mars/Olympus"));
    expectInvalid(() => parseWhen({ every: 10, timezone: "Europe/Paris" }, "t"));
  });

  test("the stored value carries the zone (CRON_TZ=...) and reads back the same", () => {
    const spec = parseWhen({ cron: "0 9 * * 1", timezone: "Europe/Paris" }, "t");
    const stored = encodeSpec(spec);
    expect(stored).toEqual({ scheduleType: "cron", scheduleValue: "CRON_TZ=Europe/Paris 0 9 * * 1" });
    const back = decodeSpec(stored.scheduleType, stored.scheduleValue);
    const after = new Date("2025-06-01T00:00:00Z");
    expect(nextRunAfter(back, after)).toEqual(nextRunAfter(spec, after));
    expect(encodeSpec(parseWhen({ cron: daily().at("09:00") }, "t"))).toEqual({ scheduleType: "cron", scheduleValue: "0 9 * * *" });
    expect(encodeSpec(parseWhen({ every: 90 }, "t"))).toEqual({ scheduleType: "interval", scheduleValue: "90" });
    expect(decodeSpec("interval", "30")).toEqual({ type: "interval", seconds: 30 });
    expectInvalid(() => decodeSpec("interval", "soon"));
    expectInvalid(() => decodeSpec("weekly", "x"));
  });
});

describe("app.periodic registration", () => {
  const app = () => new Soniq({ databaseUrl: "memory:", logLevel: "silent" });

  test("exactly one of cron / every", () => {
    const a = app();
    const both = expectInvalid(() => a.periodic({ name: "x.both", cron: "* * * * *", every: 5 }, async () => {}));
    expect(both.message).toContain("both");
    const neither = expectInvalid(() => a.periodic({ name: "x.neither" } as never, async () => {}));
    expect(neither.message).toMatch(/requires either cron or every/);
    expect(a.jobNames).toEqual([]);
  });

  test("invalid cron and every values fail at registration, registering nothing", () => {
    const a = app();
    expectInvalid(() => a.periodic({ name: "x.bad", cron: "61 * * * *" }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", cron: "every day" }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", every: 0 }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", every: 0.5 }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", every: "*/5 * * * *" as never }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", cron: 5 as never }, async () => {}));
    expectInvalid(() => a.periodic({ name: "x.bad", cron: "0 9 * * *", timezone: "Nowhere/Land" }, async () => {}));
    expect(a.jobNames).toEqual([]);
    expect(a.scheduler.periodicNames).toEqual([]);
  });

  test("returns the job handle; job options apply; the DSL plugs in", () => {
    const a = app();
    const handle = a.periodic({ name: "reports.daily", cron: daily().at("09:00"), queue: "reports", retries: 1, priority: 5 }, async () => "ok");
    expect(handle.name).toBe("reports.daily");
    expect(handle.options.queue).toBe("reports");
    expect(a.jobNames).toEqual(["reports.daily"]);
    a.periodic({ name: "metrics.flush", every: every(30).seconds() }, async () => {});
    expect(a.scheduler.periodicNames).toEqual(["reports.daily", "metrics.flush"]);
  });

  test("job option errors and bad args are reported", () => {
    const a = app();
    expect(() => a.periodic({ name: "Bad Name", every: 5 }, async () => {})).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_TASK_NAME }));
    expect(() => a.periodic({ name: "x.y", every: 5, args: { f: () => 1 } as never }, async () => {})).toThrow(expect.objectContaining({ code: ErrorCodes.NOT_SERIALIZABLE }));
    expect(() => a.periodic({ name: "x.y", every: 5, bogus: 1 } as never, async () => {})).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }));
  });
});
