// A small closed-loop load generator: `concurrency` clients on keep-alive connections, each
// sending its next request as soon as the previous one is answered.
import http from "node:http";

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  statuses: Record<number, number>;
  /** Every request's latency in ms, sorted. */
  latencies: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(
    sorted.length - 1,
    Math.ceil((p / 100) * sorted.length) - 1,
  );
  return sorted[Math.max(0, index)];
}

/** `make(i)` builds request i just before it is sent (signatures carry a fresh timestamp). */
export async function runLoad(
  baseUrl: string,
  count: number,
  make: (i: number) => PreparedRequest,
  concurrency: number,
): Promise<LoadResult> {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const one = (req: PreparedRequest) =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const r = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: req.path,
          method: "POST",
          agent,
          headers: {
            ...req.headers,
            "Content-Length": Buffer.byteLength(req.body),
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - started);
            statuses[res.statusCode ?? 0] =
              (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      r.on("error", reject);
      r.end(req.body);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(make(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    seconds,
    rps: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    latencies,
  };
}

/** Several runs of the same load as one: total throughput, percentiles over every request. */
export function combineLoads(results: readonly LoadResult[]): LoadResult {
  const requests = results.reduce((n, r) => n + r.requests, 0);
  const seconds = results.reduce((n, r) => n + r.seconds, 0);
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const statuses: Record<number, number> = {};
  for (const r of results)
    for (const [code, n] of Object.entries(r.statuses))
      statuses[Number(code)] = (statuses[Number(code)] ?? 0) + n;
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    latencies,
  };
}

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });

export function describeLoad(label: string, r: LoadResult): string {
  return `${label}: ${fmt(r.rps)} req/s, p50 ${fmt(r.p50, 1)} ms, p99 ${fmt(r.p99, 1)} ms (${r.requests} requests in ${fmt(r.seconds, 2)} s, statuses ${JSON.stringify(r.statuses)})`;
}
