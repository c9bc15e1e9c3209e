// `npm run bench`: every benchmark, figures measured in this run. Pass names to run a subset.
// Several benchmarks run one after the other, each in a process of its own: the app's modules
// bind their database client when first imported, so a second benchmark in the same process
// would run on the first one's (removed) database.
import { spawnSync } from "node:child_process";
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
  const one = process.argv[2] === "--one";
  const wanted = process.argv.slice(one ? 3 : 2);
  const names = wanted.length > 0 ? wanted : Object.keys(benches);
  if (!one)
    console.log(
      `node ${process.version}, ${(await import("node:os")).cpus().length} cores`,
    );
  const unknown = names.filter((name) => !benches[name]);
  if (unknown.length > 0)
    throw new Error(
      `unknown benchmark ${unknown.join(", ")}; known: ${Object.keys(benches).join(", ")}`,
    );
  if (names.length > 1) {
    for (const name of names) {
      const child = spawnSync(
        process.execPath,
        [...process.execArgv, fileURLToPath(import.meta.url), "--one", name],
        { stdio: "inherit" },
      );
      if (child.status !== 0)
        throw new Error(`benchmark ${name} failed (exit ${child.status})`);
    }
    return;
  }
  for (const name of names) {
    const report = await (await benches[name]()).run();
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
