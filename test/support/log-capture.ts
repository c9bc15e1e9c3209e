// Captures the app's log lines: installs a logger (the app's own createLogger, JSON format)
// writing into memory as the process logger. Call after createTestApp(), which resets it.
import type { LogLevel } from "../../app/observability/log-settings";

export interface LogCapture {
  /** Everything written, exactly as it would reach stdout. */
  text(): string;
  /** Each line parsed. */
  lines(): Record<string, unknown>[];
  /** The lines whose every field in `match` is equal. */
  find(match: Record<string, unknown>): Record<string, unknown>[];
  clear(): void;
  /** Back to the environment's logger. */
  stop(): Promise<void>;
}

export async function captureLogs(
  level: LogLevel = "debug",
): Promise<LogCapture> {
  const { createLogger, setLogger } =
    await import("../../app/observability/logger.server");
  let written = "";
  setLogger(
    createLogger({
      level,
      format: "json",
      destination: { write: (line: string) => void (written += line) },
    }),
  );
  const capture: LogCapture = {
    text: () => written,
    lines: () =>
      written
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    find: (match) =>
      capture
        .lines()
        .filter((line) =>
          Object.entries(match).every(([k, v]) => line[k] === v),
        ),
    clear: () => void (written = ""),
    async stop() {
      setLogger(undefined);
    },
  };
  return capture;
}
