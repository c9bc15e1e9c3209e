// TEMPORARY A/B measurement: phone fast path vs libphonenumber-js alone, in one run.
// Event build in process (flag flipped between runs), and the order webhook end to end against
// two production servers that differ only in PHONE_LIBRARY_ONLY, runs interleaved ABBA.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { phoneBenchSwitch } from "~/tiktok/phone";
import { TEST_CREDS, TEST_ENCRYPTION_KEY, APP_URL } from "../support/constants";
import { ensureProductionBuild, startServerProcess, type ServerProcess } from "../support/server-process";
import { simpleOrder, orderBody } from "../fixtures/orders";
import { webhookHeaders } from "../../dev/shopify-signing";
import { once, phoneTimings } from "./tiktok-build";
import { prepareDatabase, webhookRequest } from "./ingest";
import { runLoad, type PreparedRequest, type LoadResult } from "./load";

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f = (n: number, d = 2) => n.toFixed(d);

/** The server process's user+system CPU in ms (Linux /proc; clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Three distinct phone strings per order (order, billing, shipping): an upper-end order. */
function threePhoneRequest(): PreparedRequest {
  const body = orderBody(
    simpleOrder({ phone: "+44 7700 900123", shipping_address: { country_code: "GB", phone: "07700 900456" } }),
  );
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({ topic: "orders/create", shop: "bench.myshopify.com", body, apiSecret: TEST_CREDS.apiSecret }),
    body,
  };
}

/** A US order as Shopify commonly sends it: customer phone in E.164, billing phone as typed. */
function usTwoPhoneRequest(): PreparedRequest {
  const body = orderBody(
    simpleOrder({
      phone: "+14155552671",
      billing_address: { country_code: "US", phone: "(415) 555-2671" },
    }),
  );
  return {
    path: "/webhooks/orders",
    headers: webhookHeaders({ topic: "orders/create", shop: "bench.myshopify.com", body, apiSecret: TEST_CREDS.apiSecret }),
    body,
  };
}

const E2E_ONLY = process.argv.includes("--e2e-only");
const E2E_ROUNDS = Number(process.env.E2E_ROUNDS ?? 6);

async function main() {
  console.log(`node ${process.version}`);
  if (!E2E_ONLY) await inProcess();
  await endToEnd();
}

async function inProcess() {
  // 1. Event build, in process.
  const ROUNDS = 7;
  const build = { fast: [] as number[], lib: [] as number[] };
  once();
  phoneBenchSwitch.libraryOnly = true;
  once();
  for (let r = 0; r < ROUNDS; r++) {
    for (const lib of r % 2 ? [true, false] : [false, true]) {
      phoneBenchSwitch.libraryOnly = lib;
      const x = once();
      (lib ? build.lib : build.fast).push((x.cpuMs * 1000) / 100_000);
    }
  }
  phoneBenchSwitch.libraryOnly = false;
  console.log(`event build CPU µs/event: fast ${build.fast.map((x) => f(x)).join(" ")}`);
  console.log(`event build CPU µs/event: lib  ${build.lib.map((x) => f(x)).join(" ")}`);
  const bf = median(build.fast);
  const bl = median(build.lib);
  console.log(`event build median: fast ${f(bf)} µs, lib ${f(bl)} µs, lib/fast ${f(bl / bf, 3)}, +${f(bl - bf)} µs/event`);

  const p = phoneTimings();
  console.log(`per number (100,000 bench numbers, median of 3): fast ${f(p.fastUs)} µs, lib ${f(p.libraryUs)} µs (${f(p.libraryUs / p.fastUs, 1)}x)`);

}

async function endToEnd() {
  await ensureProductionBuild();
  const dir = mkdtempSync(path.join(tmpdir(), "phone-ab-"));
  const servers: Record<"fast" | "lib", ServerProcess> = {} as never;
  try {
    for (const name of ["fast", "lib"] as const) {
      const file = path.join(dir, `${name}.sqlite`);
      await prepareDatabase(file);
      servers[name] = await startServerProcess({
        DATABASE_URL: `file:${file}`,
        SHOPIFY_API_KEY: TEST_CREDS.apiKey,
        SHOPIFY_API_SECRET: TEST_CREDS.apiSecret,
        SHOPIFY_APP_URL: APP_URL,
        SCOPES: "read_orders",
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        DELIVERY_WORKER: "off",
        PHONE_LIBRARY_ONLY: name === "lib" ? "1" : "0",
      });
      await runLoad(servers[name].url, 500, () => webhookRequest(), 32); // warm-up
      await runLoad(servers[name].url, 300, threePhoneRequest, 32);
    }
    const scenarios: [string, () => PreparedRequest, number, number][] = [
      ["webhook, 1 phone (ingest bench order), c=32", () => webhookRequest(), 32, 3000],
      ["webhook, 1 phone, c=8", () => webhookRequest(), 8, 1500],
      ["webhook, 3 phones (GB), c=32", threePhoneRequest, 32, 3000],
      ["webhook, 2 phones (US), c=32", usTwoPhoneRequest, 32, 3000],
    ];
    for (const [label, make, c, n] of scenarios) {
      const res = { fast: [] as LoadResult[], lib: [] as LoadResult[] };
      const cpu = { fast: [] as number[], lib: [] as number[] };
      for (let r = 0; r < E2E_ROUNDS; r++) {
        for (const name of r % 2 ? (["lib", "fast"] as const) : (["fast", "lib"] as const)) {
          const pid = servers[name].child.pid!;
          const c0 = cpuMs(pid);
          const x = await runLoad(servers[name].url, n, make, c);
          cpu[name].push(((cpuMs(pid) - c0) * 1000) / n);
          if (Object.keys(x.statuses).some((s) => s !== "200")) throw new Error(JSON.stringify(x.statuses));
          res[name].push(x);
        }
      }
      const m = (name: "fast" | "lib", k: "rps" | "p50" | "p99") => median(res[name].map((x) => x[k]));
      console.log(`\n${label}`);
      for (const name of ["fast", "lib"] as const)
        console.log(`  ${name} rps ${res[name].map((x) => f(x.rps, 0)).join(" ")}  p50 ${res[name].map((x) => f(x.p50, 1)).join(" ")}`);
      console.log(
        `  median rps fast ${f(m("fast", "rps"), 0)} lib ${f(m("lib", "rps"), 0)} (lib/fast ${f(m("lib", "rps") / m("fast", "rps"), 3)}); ` +
          `p50 ${f(m("fast", "p50"))} vs ${f(m("lib", "p50"))} ms; p99 ${f(m("fast", "p99"))} vs ${f(m("lib", "p99"))} ms`,
      );
      for (const name of ["fast", "lib"] as const) console.log(`  ${name} server CPU µs/request ${cpu[name].map((x) => f(x, 0)).join(" ")}`);
      console.log(
        `  median server CPU µs/request: fast ${f(median(cpu.fast), 0)} lib ${f(median(cpu.lib), 0)} (lib/fast ${f(median(cpu.lib) / median(cpu.fast), 3)})`,
      );
      const spread = (name: "fast" | "lib") => {
        const r = res[name].map((x) => x.rps);
        return (Math.max(...r) - Math.min(...r)) / median(r);
      };
      console.log(`  run-to-run spread (max-min)/median: fast ${f(100 * spread("fast"), 1)}%, lib ${f(100 * spread("lib"), 1)}%`);
    }
  } finally {
    for (const s of Object.values(servers)) await s.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
