// The container files agree with the start script: renaming it, dropping the non-root user or a
// compose service breaks a test here (start.test.ts then runs the very command found here).
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  composeServices,
  dockerfileStages,
  execForm,
  imageCommand,
  runtimeStage,
} from "./image";

describe("Dockerfile", () => {
  it("the image runs the start script with node and tsx, web by default", () => {
    const command = imageCommand();
    expect(command.slice(0, 3)).toEqual(["node", "--import", "tsx"]);
    expect(command[3]).toBe("app/cli/start.ts");
    expect(existsSync(command[3])).toBe(true);
    expect(execForm(runtimeStage(), "CMD")).toEqual(["web"]);
    // Not through npm: signals must reach the server itself.
    expect(command).not.toContain("npm");
  });

  it("builds in stages on Node 22 and runs as an unprivileged user in production mode", () => {
    const stages = dockerfileStages();
    expect(stages.length).toBeGreaterThan(1);
    for (const stage of stages) {
      const from = stage.instructions[0].args;
      // Every stage starts from Node 22 slim or from an earlier stage of this file.
      const base = from.split(/\s+/)[0];
      expect(
        base === "node:22-bookworm-slim" || stages.some((s) => s.name === base),
        from,
      ).toBe(true);
    }
    const runtime = runtimeStage();
    const users = runtime.instructions.filter((i) => i.keyword === "USER");
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    const env = runtime.instructions
      .filter((i) => i.keyword === "ENV")
      .map((i) => i.args);
    expect(env.join(" ")).toMatch(/\bNODE_ENV=production\b/);
    expect(
      runtime.instructions
        .filter((i) => i.keyword === "EXPOSE")
        .map((i) => i.args),
    ).toContain("3000");
    // The runtime stage installs production dependencies only (or copies them from a stage that does).
    const text = readFileSync("Dockerfile", "utf8");
    expect(text).toMatch(/npm (install|ci)\b[^\n]*--omit=dev/);
  });

  it("the reader understands continuation lines, stages and exec form", () => {
    const stages = dockerfileStages(
      'FROM node:22 AS a\nRUN one \\\n  two\nFROM a\nUSER node\nENTRYPOINT ["node", "x.ts"]\nCMD ["web"]\n',
    );
    expect(stages.map((s) => s.name)).toEqual(["a", null]);
    expect(stages[0].instructions[1]).toEqual({
      keyword: "RUN",
      args: "one    two",
    });
    expect(execForm(stages[1], "ENTRYPOINT")).toEqual(["node", "x.ts"]);
    expect(() =>
      execForm(dockerfileStages("FROM a\nCMD node x.ts\n")[0], "CMD"),
    ).toThrow(/exec form/);
  });
});

describe("compose.yaml", () => {
  it("runs postgres, web and worker; web and worker from the image's start script", () => {
    const services = composeServices();
    expect([...services.keys()].sort()).toEqual(["postgres", "web", "worker"]);
    expect(services.get("web")!.command).toEqual(["web"]);
    expect(services.get("worker")!.command).toEqual(["worker"]);
    // The commands go to the image's ENTRYPOINT, the start script (see the Dockerfile test).
    expect(imageCommand(services.get("worker")!.command)).toEqual([
      "node",
      "--import",
      "tsx",
      "app/cli/start.ts",
      "worker",
    ]);
  });

  it("web leaves delivery to the workers and waits for a healthy database; two workers", () => {
    const services = composeServices();
    const web = services.get("web")!.block;
    expect(web).toMatch(/DELIVERY_WORKER:\s*"?off"?/);
    expect(web).toMatch(/postgres:\s*\n\s*condition:\s*service_healthy/);
    expect(web).toMatch(/"?3000:3000"?/);
    expect(services.get("worker")!.block).toMatch(/replicas:\s*2\b/);
    const postgres = services.get("postgres")!.block;
    expect(postgres).toMatch(/healthcheck:/);
    expect(postgres).toMatch(
      /volumes:\s*\n\s*- [\w-]+:\/var\/lib\/postgresql\/data/,
    );
    expect(readFileSync("compose.yaml", "utf8")).toMatch(/env_file:\s*\.env/);
  });

  it("each worker serves its own /metrics and /healthz on WORKER_METRICS_PORT, and its health is checked there", () => {
    const worker = composeServices().get("worker")!.block;
    const port = /WORKER_METRICS_PORT:\s*"?(\d+)"?/.exec(worker)?.[1];
    expect(port).toBeDefined();
    expect(worker).toMatch(new RegExp(`expose:\\s*\\n\\s*- "?${port}"?`));
    expect(worker).toContain(`http://127.0.0.1:${port}/healthz`);
  });
});

describe(".dockerignore", () => {
  it("keeps secrets, local databases and installed or built trees out of the build context", () => {
    const lines = readFileSync(".dockerignore", "utf8").split(/\r?\n/);
    for (const entry of [
      ".env",
      "node_modules",
      "build",
      ".git",
      "prisma/*.sqlite*",
    ])
      expect(lines).toContain(entry);
  });
});
