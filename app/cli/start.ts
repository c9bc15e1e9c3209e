// The container image's entry point (Dockerfile CMD, compose.yaml), usable anywhere:
//
//   node --import tsx app/cli/start.ts migrate   applies the committed migrations, then exits
//   node --import tsx app/cli/start.ts web       migrations, then the web server (PORT, HOST)
//   node --import tsx app/cli/start.ts worker    the delivery worker (no migrations)
//
// Not through npm, and the server and the worker run IN this process rather than as children:
// a container's SIGTERM then lands on the code that drains (runDeliveries' handler and
// the web server's close, app/cli/web.ts) with no relay in between to lose it, and the exit code is theirs.
// This also holds when this process is PID 1, for which Linux ignores signals that have no
// handler (https://github.com/moby/moby/pull/12228): both install handlers. Only the Prisma CLI runs as a child (it ends with process.exit); signals are
// forwarded to it while it runs, and a migration that fails stops the start.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exitAfterLogs, logger } from "../observability/logger.server";

const START_COMMANDS = ["migrate", "web", "worker"] as const;
type StartCommand = (typeof START_COMMANDS)[number];

// Every relative path (the default SQLite file, public/, prisma.config.ts, build/) is meant from
// the project root, as for the npm scripts; the image's WORKDIR is that root too.
const root = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
);

class StartError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** `prisma migrate deploy`; prisma.config.ts picks SQLite or prisma/postgresql/ from DATABASE_URL. */
function migrate(): Promise<void> {
  const cli = path.join(root, "node_modules", "prisma", "build", "index.js");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      stdio: "inherit",
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGTERM", forward);
    process.on("SIGINT", forward);
    const done = (error?: StartError) => {
      process.off("SIGTERM", forward);
      process.off("SIGINT", forward);
      if (error) reject(error);
      else resolve();
    };
    child.once("error", (error) =>
      done(new StartError(`could not run the Prisma CLI: ${error.message}`)),
    );
    child.once("exit", (code, signal) => {
      if (code === 0) return done();
      if (signal)
        return done(
          new StartError(
            `migrations stopped by ${signal}`,
            128 + signalNumber(signal),
          ),
        );
      done(
        new StartError(
          `migrations failed (prisma migrate deploy exited with ${code})`,
          code ?? 1,
        ),
      );
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGINT" ? 2 : signal === "SIGKILL" ? 9 : 15;
}

/** The refusal the server and worker make on their own (no ENCRYPTION_KEY in production), before migrating. */
async function checkConfiguration(): Promise<void> {
  const { appConfig } = await import("../config.server");
  try {
    appConfig();
  } catch (error) {
    throw new StartError((error as Error).message);
  }
}

/** The web server (app/cli/web.ts) on build/server/index.js, in this process (see above). */
async function serve(): Promise<void> {
  const { serveWeb, WebStartError } = await import("./web");
  await serveWeb().catch((error: unknown) => {
    throw error instanceof WebStartError
      ? new StartError(error.message)
      : error;
  });
}

async function start(command: StartCommand): Promise<void> {
  log.info({ command }, `start: ${command}`);
  switch (command) {
    case "migrate":
      await migrate();
      return;
    case "web":
      await checkConfiguration();
      await migrate();
      await serve();
      return;
    case "worker":
      await checkConfiguration();
      await import("./worker");
      return;
  }
}

const command = process.argv[2];
const log = logger().child({ component: "start" });
if (!START_COMMANDS.includes(command as StartCommand)) {
  log.fatal(
    `usage: node --import tsx app/cli/start.ts ${START_COMMANDS.join("|")}`,
  );
  exitAfterLogs(2);
} else {
  process.chdir(root);
  start(command as StartCommand).catch((error: unknown) => {
    const exitCode = error instanceof StartError ? error.exitCode : 1;
    log.fatal(
      { command, exitCode },
      `${command}: ${error instanceof Error ? error.message : String(error)}`,
    );
    exitAfterLogs(exitCode);
  });
}
