// How this process logs, decided from the environment without I/O (unit-tested beside it).
import { envSchema, type LOG_LEVELS } from "~/config/env";

export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "pretty";

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
  /** Set when the format asked for cannot be had: said once, in the first line logged. */
  notice?: string;
}

/**
 * LOG_LEVEL (default info) and LOG_FORMAT (default pretty only when NODE_ENV=development).
 * Read on their own rather than through the whole config: the logger must work, to report a
 * configuration error, when another variable is wrong; a bad LOG_LEVEL falls back to info here
 * and is reported by the config check like any other variable.
 * `prettyAvailable`: whether pino-pretty (a development dependency) can be loaded; without it
 * the format is JSON, whatever was asked.
 */
export function logSettings(
  env: Record<string, string | undefined>,
  prettyAvailable: boolean,
): LogSettings {
  const shape = envSchema.shape;
  const level = shape.LOG_LEVEL.safeParse(env.LOG_LEVEL);
  const format = shape.LOG_FORMAT.safeParse(env.LOG_FORMAT);
  const nodeEnv = shape.NODE_ENV.safeParse(env.NODE_ENV);
  const wanted: LogFormat =
    (format.success ? format.data : undefined) ??
    (nodeEnv.success && nodeEnv.data === "development" ? "pretty" : "json");
  const settings: LogSettings = {
    level: level.success ? level.data : "info",
    format: wanted,
  };
  if (wanted === "pretty" && !prettyAvailable) {
    settings.format = "json";
    settings.notice =
      "pino-pretty is not installed (a development dependency): logging JSON lines";
  }
  return settings;
}
