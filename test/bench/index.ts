// `npm run bench`: every benchmark, figures measured in this run. Pass names to run a subset.
import { fileURLToPath } from "node:url";

interface BenchReport {
  name: string;
  lines: string[];
}
type Bench = { run: () => Promise<BenchReport> };

const benches: Record<string, () => Promise<Bench>> = {
  "tiktok-build": () => import("./tiktok-build"),
  "storefront-size": () => import("./storefront-size"),
  ingest: () => import("./ingest"),
  delivery: () => import("./delivery"),
  "worker-scaling": () => import("./worker-scaling"),
  reconcile: () => import("./reconcile"),
  "admin-views": () => import("./admin-views"),
};

async function main() {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(benches);
  console.log(
    `node ${process.version}, ${(await import("node:os")).cpus().length} cores`,
  );
  for (const name of names) {
    const load = benches[name];
    if (!load)
      throw new Error(
        `unknown benchmark ${name}; known: ${Object.keys(benches).join(", ")}`,
      );
    const report = await (await load()).run();
    console.log(`\n## ${report.name}`);
    for (const line of report.lines) console.log(`  ${line}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
