// What the container files say, read the way Docker and Compose read them (only the parts the
// tests need), so the tests run exactly the command the image runs.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export interface DockerStage {
  name: string | null;
  /** Instructions in order: keyword (upper case) and its arguments, continuation lines joined. */
  instructions: { keyword: string; args: string }[];
}

export function dockerfileStages(
  text = readFileSync("Dockerfile", "utf8"),
): DockerStage[] {
  const lines = text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === "FROM") {
      stages.push({
        name: /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? null,
        instructions: [],
      });
    }
    stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
  }
  return stages;
}

/** The last value of an instruction in a stage, as an exec-form (JSON array) command. */
export function execForm(
  stage: DockerStage,
  keyword: "ENTRYPOINT" | "CMD",
): string[] | undefined {
  const args = stage.instructions
    .filter((i) => i.keyword === keyword)
    .at(-1)?.args;
  if (args === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    parsed = null;
  }
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string"))
    throw new Error(`${keyword} is not in exec form: ${args}`);
  return parsed;
}

/** The runtime image: the Dockerfile's last stage. */
export function runtimeStage(): DockerStage {
  return dockerfileStages().at(-1)!;
}

/** ENTRYPOINT + CMD of the runtime stage, with `command` in place of CMD when given (`docker run image worker`). */
export function imageCommand(command?: string[]): string[] {
  const stage = runtimeStage();
  return [
    ...(execForm(stage, "ENTRYPOINT") ?? []),
    ...(command ?? execForm(stage, "CMD") ?? []),
  ];
}

/**
 * compose.yaml's services and each one's `command`, from the file's indentation (two spaces a
 * level, as Prettier writes it): enough for our file without a YAML parser.
 */
export function composeServices(
  text = readFileSync("compose.yaml", "utf8"),
): Map<string, { command?: string[]; block: string }> {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => /^services:\s*$/.test(l));
  if (start < 0) throw new Error("compose.yaml has no services");
  const body = lines.slice(start + 1);
  const end = body.findIndex((l) => /^\S/.test(l)); // the next top-level key
  const services = new Map<string, { command?: string[]; block: string }>();
  let name: string | null = null;
  for (const line of body.slice(0, end < 0 ? undefined : end)) {
    const key = /^ {2}([\w-]+):\s*$/.exec(line)?.[1];
    if (key) services.set((name = key), { block: "" });
    else if (name) services.get(name)!.block += `${line}\n`;
  }
  for (const entry of services.values()) {
    const command = /^ {4}command:\s*(\[.*\])/m.exec(entry.block)?.[1];
    if (command) entry.command = JSON.parse(command) as string[];
  }
  return services;
}

export interface StartedProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the output matches, rejects when the process exits first or `ms` pass. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the image's command here: `node` is this Node, the working directory the project root. */
export function runImageCommand(
  command: string[],
  env: Record<string, string>,
): StartedProcess {
  const [program, ...args] = imageCommand(command);
  if (program !== "node")
    throw new Error(`the image runs ${program}, not node`);
  let output = "";
  const child = spawn(process.execPath, args, {
    cwd: path.resolve("."),
    env: { ...process.env, VITEST: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return {
    child,
    output: () => output,
    exited,
    async waitFor(pattern, ms = 60_000) {
      const started = Date.now();
      while (!pattern.test(output)) {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(
            `exited (${child.exitCode}) before ${pattern}:\n${output}`,
          );
        if (Date.now() - started > ms)
          throw new Error(`no ${pattern} within ${ms} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
      return exited;
    },
  };
}
