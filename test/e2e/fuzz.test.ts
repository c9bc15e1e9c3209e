// Fuzzing the public edges: thousands of generated malformed or hostile requests to the app
// proxy (/proxy/collect) and the webhook routes, through the real Remix handler in-process.
// Properties: no 5xx and nothing thrown, forged requests (bad or replayed signatures) are
// refused, rejected requests store nothing, Object.prototype stays clean, and the heap returns
// to its baseline. Reproducible: the seed is printed; FUZZ_SEED=<n> replays a run.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  APP_URL,
  TEST_CREDS,
  createTestApp,
  type TestApp,
} from "../support/test-app";
import {
  FUZZ_MAIN_SHOP,
  FUZZ_PIXEL,
  generateCases,
  mulberry32,
  type FuzzCase,
} from "./fuzz-cases";
import { seedPixel } from "../support/shops";

// CI replays one fixed seed so a landing never depends on luck; a developer's run explores a
// new seed each time (printed, replay with FUZZ_SEED). Every seed found so far is fixed.
const CI_SEED = 20261121;
const SEED = process.env.FUZZ_SEED
  ? Number(process.env.FUZZ_SEED)
  : process.env.CI
    ? CI_SEED
    : Math.floor(Math.random() * 2 ** 32);
const TOTAL = Number(process.env.FUZZ_COUNT ?? 5200);
const WARMUP = 400;
/** Generous: the heap after the run (after GC) may exceed the warmed-up baseline by this much. */
const HEAP_GROWTH_LIMIT = 30 * 1024 * 1024;

let app: TestApp;

beforeAll(async () => {
  // The flood guard has its own tests (test/routes/proxy-rate-limit.test.ts); lifted here so
  // every hostile body reaches the parser instead of stopping at a 429.
  const unlimited = "1000000000";
  app = await createTestApp({
    PROXY_RATE_PER_CLIENT_PER_MIN: unlimited,
    PROXY_RATE_PER_SHOP_PER_MIN: unlimited,
    PROXY_NEW_SESSIONS_PER_CLIENT_PER_HOUR: unlimited,
    PROXY_EVENTS_PER_CLIENT_PER_MIN: unlimited,
  });
  await app.installShop(FUZZ_MAIN_SHOP);
  await seedPixel(app.prisma, FUZZ_MAIN_SHOP, { pixelCode: FUZZ_PIXEL });
});
afterAll(() => app?.close());

/** A real collection, not a heuristic: V8's own gc() from a context that exposes it. */
function collectGarbage(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return () => {
    gc();
    gc();
  };
}

/** Row counts of every table, in one query, as a comparable string. */
async function rowCounts(): Promise<string> {
  const rows = await app.prisma.$queryRawUnsafe<
    Record<string, bigint | number>[]
  >(
    `SELECT
       (SELECT COUNT(*) FROM "Session") AS sessions,
       (SELECT COUNT(*) FROM "ShopSettings") AS settings,
       (SELECT COUNT(*) FROM "AttributionSession") AS attribution,
       (SELECT COUNT(*) FROM "Delivery") AS deliveries,
       (SELECT COUNT(*) FROM "OutboxEntry") AS outbox,
       (SELECT COUNT(*) FROM "DeliveryAttempt") AS attempts,
       (SELECT COUNT(*) FROM "WebhookReceipt") AS receipts`,
  );
  return Object.entries(rows[0]!)
    .map(([k, v]) => `${k}=${Number(v)}`)
    .join(" ");
}

const PROTOTYPES: [string, object][] = [
  ["Object.prototype", Object.prototype],
  ["Array.prototype", Array.prototype],
  ["Function.prototype", Function.prototype],
  ["String.prototype", String.prototype],
];
const ownKeys = () =>
  PROTOTYPES.map(
    ([name, proto]) =>
      `${name}: ${Reflect.ownKeys(proto).map(String).sort().join(",")}`,
  );

function describeCase(c: FuzzCase, request: Request): string {
  const headers = [...request.headers.entries()]
    .map(([k, v]) => `${k}: ${v.slice(0, 120)}`)
    .join("; ");
  const body =
    c.body === undefined
      ? "(none)"
      : JSON.stringify(c.body.slice(0, 300)) +
        (c.body.length > 300 ? ` …(${c.body.length} chars)` : "");
  return `#${c.index} [${c.kind}] ${request.method} ${request.url.slice(0, 400)}\n  headers: ${headers}\n  body: ${body}`;
}

interface Failure {
  what: string;
  kind: string;
  detail: string;
  /** The first line of what the app logged with console.error while handling it. */
  error?: string;
}

describe("fuzzing the app proxy and webhook routes", () => {
  it(
    `survives ${TOTAL} random hostile requests and the every-string set (seed printed)`,
    { timeout: 600_000 },
    async () => {
      console.log(
        `[fuzz] seed ${SEED}: replay with FUZZ_SEED=${SEED} npx vitest run test/e2e/fuzz.test.ts`,
      );
      const cases = generateCases(mulberry32(SEED), TOTAL, {
        appUrl: APP_URL,
        secret: TEST_CREDS.apiSecret,
        now: () => Math.floor(Date.now() / 1000),
      });
      expect(cases.length).toBeGreaterThan(TOTAL);

      const gc = collectGarbage();
      const prototypesBefore = ownKeys();
      const settingsBefore = await app.prisma.shopSettings.findUniqueOrThrow({
        where: { shop: FUZZ_MAIN_SHOP },
      });

      // Logs from thousands of requests would drown the report; errors are kept to be checked.
      const errors: string[] = [];
      let errorCount = 0;
      const quiet = [
        vi.spyOn(console, "log").mockImplementation(() => {}),
        vi.spyOn(console, "info").mockImplementation(() => {}),
        vi.spyOn(console, "warn").mockImplementation(() => {}),
        vi.spyOn(console, "debug").mockImplementation(() => {}),
        vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => {
          errorCount += 1;
          const text = args
            .map((a) =>
              a instanceof Error ? (a.stack ?? a.message) : String(a),
            )
            .join(" ")
            .slice(0, 2000);
          // The latest ones, for the failure report; a bounded list keeps the heap figure honest.
          errors.push(text);
          if (errors.length > 50) errors.shift();
        }),
      ];

      const failures: Failure[] = [];
      /** Notes a failure with what the app logged while handling that request. */
      const record = (
        c: FuzzCase,
        errorsBefore: number,
        what: string,
        detail: string,
      ) => {
        const logged = errors.slice(
          Math.max(0, errors.length - (errorCount - errorsBefore)),
        );
        failures.push({
          what,
          kind: c.kind,
          detail: detail.slice(0, 3_000),
          error:
            logged.join("\n").split("\n").slice(0, 3).join(" | ") || undefined,
        });
      };
      const statuses = new Map<string, number>();
      let accepted = 0;
      let baselineHeap = 0;
      let counts = await rowCounts();
      try {
        for (const c of cases) {
          if (c.index === WARMUP) {
            gc();
            baselineHeap = process.memoryUsage().heapUsed;
          }
          const request = c.build();
          const errorsBefore = errorCount;
          const fail = (what: string, detail: string) =>
            record(c, errorsBefore, what, detail);
          const described = () => describeCase(c, request);
          let response: Response;
          try {
            response = await app.handle(request);
          } catch (error) {
            fail(
              "threw",
              `${described()}\n  error: ${(error as Error).stack ?? String(error)}`,
            );
            counts = await rowCounts();
            continue;
          }
          const text = await response.text().catch(() => "(unreadable body)");
          const edge = c.kind
            .split(":")
            .slice(0, c.kind.startsWith("webhook") ? 2 : 1)
            .join(":");
          const key = `${edge} ${response.status}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          const after = await rowCounts();
          const ok = response.status >= 200 && response.status < 300;
          if (response.status >= 500) {
            fail(
              `HTTP ${response.status}`,
              `${described()}\n  answer: ${text.slice(0, 300)}`,
            );
          }
          if (c.forged && response.status < 400) {
            fail(
              `forged request accepted (HTTP ${response.status})`,
              described(),
            );
          }
          if (c.replay && after !== counts) {
            fail(
              `replayed webhook (HTTP ${response.status}) stored something`,
              `${described()}\n  before: ${counts}\n  after:  ${after}`,
            );
          } else if (!ok && after !== counts) {
            fail(
              `rejected (HTTP ${response.status}) but stored something`,
              `${described()}\n  before: ${counts}\n  after:  ${after}`,
            );
          }
          if (ok) accepted += 1;
          if (
            (Object.prototype as Record<string, unknown>).polluted !== undefined
          ) {
            fail("Object.prototype polluted", described());
            delete (Object.prototype as Record<string, unknown>).polluted;
          }
          counts = after;
        }
      } finally {
        for (const spy of quiet) spy.mockRestore();
      }

      gc();
      const heapGrowth = process.memoryUsage().heapUsed - baselineHeap;
      const summary = [...statuses.entries()]
        .sort()
        .map(([k, n]) => `${k}: ${n}`)
        .join(", ");
      console.log(
        `[fuzz] seed ${SEED}: ${cases.length} requests, ${accepted} accepted (2xx); ${summary}; ` +
          `heap after GC ${(heapGrowth / 1024 / 1024).toFixed(1)} MB vs. the baseline after ${WARMUP} warm-up requests`,
      );

      // One example per distinct problem (what went wrong, on which edge, with which logged error).
      const groups = new Map<string, { first: Failure; count: number }>();
      for (const f of failures) {
        const key = `${f.what} · ${f.kind} · ${(f.error ?? "").replace(/\d+/g, "N").slice(0, 160)}`;
        const group = groups.get(key);
        if (group) group.count += 1;
        else groups.set(key, { first: f, count: 1 });
      }
      const report = [...groups.values()]
        .slice(0, 40)
        .map(
          ({ first, count }) =>
            `${first.what} (×${count})${first.error ? `\n  logged: ${first.error.slice(0, 500)}` : ""}\n${first.detail}`,
        )
        .join("\n\n");
      expect(
        failures.length,
        `seed ${SEED}: ${failures.length} failure(s); first ones:\n\n${report}`,
      ).toBe(0);
      // Remix reports unexpected exceptions through console.error; hostile input must not cause any.
      expect(
        errorCount,
        `seed ${SEED}: console.error during the run, the latest:\n${errors.slice(-5).join("\n")}`,
      ).toBe(0);
      expect(ownKeys()).toEqual(prototypesBefore);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      // Forged requests never changed the shop's settings.
      const settingsAfter = await app.prisma.shopSettings.findUniqueOrThrow({
        where: { shop: FUZZ_MAIN_SHOP },
      });
      expect({ ...settingsAfter, updatedAt: null }).toEqual({
        ...settingsBefore,
        updatedAt: null,
      });
      // Each edge both refused requests and took some: the fuzzing reached past authentication.
      for (const edge of [
        "proxy",
        "webhook:orders",
        "webhook:compliance",
        "webhook:app/uninstalled",
      ]) {
        const seen = [...statuses.entries()].filter(([k]) =>
          k.startsWith(`${edge} `),
        );
        expect(
          seen.some(([k]) => / 2\d\d$/.test(k)),
          `${edge} accepted something`,
        ).toBe(true);
        expect(
          seen.some(([k]) => / 4\d\d$/.test(k)),
          `${edge} refused something`,
        ).toBe(true);
      }
      expect(
        heapGrowth,
        `heap grew by ${(heapGrowth / 1024 / 1024).toFixed(1)} MB`,
      ).toBeLessThan(HEAP_GROWTH_LIMIT);
    },
  );
});
