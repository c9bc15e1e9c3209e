// Entry point for `npm run tiktok:sandbox` (node --import tsx dev/tiktok-standin-cli.ts).
// Starts the TikTok Events API stand-in on loopback, prints where it is and which token it takes,
// logs each request, and stops cleanly on Ctrl-C / SIGTERM.
import {
  DEFAULT_SANDBOX_TOKEN,
  TRACK_PATH,
  startTikTokStandin,
  type RequestLogEntry,
} from "./tiktok-standin.server";

const DEFAULT_PORT = 8787;

function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(
      `TIKTOK_SANDBOX_PORT must be an integer 0..65535, got "${raw}"`,
    );
  return port;
}

function describe(entry: RequestLogEntry): string {
  const code = entry.code === null ? "" : ` code=${entry.code}`;
  const detail = entry.code === 0 ? "" : ` ${entry.message}`;
  return (
    `${entry.at} ${entry.method} ${entry.path} -> ${entry.status}${code}` +
    ` events=${entry.eventCount} token=${entry.token ?? "(none)"} ${Math.round(entry.durationMs)}ms${detail}`
  );
}

async function main(): Promise<void> {
  const port = parsePort(process.env.TIKTOK_SANDBOX_PORT);
  const standin = await startTikTokStandin({
    port,
    accessTokens: { [DEFAULT_SANDBOX_TOKEN]: "*" },
    onRequest: (entry) => console.log(describe(entry)),
  });

  console.log(`TikTok Events API stand-in listening on ${standin.url}`);
  console.log(`  endpoint:      POST ${standin.url}${TRACK_PATH}`);
  console.log(`  access token:  ${DEFAULT_SANDBOX_TOKEN} (any pixel code)`);
  console.log(`  point the app: TIKTOK_API_BASE_URL=${standin.url}`);
  console.log("Press Ctrl-C to stop.");

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C while closing: give up waiting.
      process.exit(130);
    }
    stopping = true;
    standin.close().then(
      () => {
        const kept = standin.accepted.length;
        console.log(
          `\n${signal}: stand-in stopped (${standin.requests.length} requests, ${kept} events kept, ${standin.duplicatesIgnored} duplicates ignored).`,
        );
        process.exitCode = 0;
      },
      (err: unknown) => {
        console.error("Failed to stop the stand-in cleanly:", err);
        process.exitCode = 1;
      },
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
