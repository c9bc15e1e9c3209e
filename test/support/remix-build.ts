// Assembles a Remix ServerBuild from the app's real route modules, using Remix's own
// flat-routes convention, so tests go through Remix's real request handler
// (createRequestHandler) without a Vite build step.
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import { flatRoutes } from "@remix-run/dev/dist/config/flat-routes.js";
import { REMIX_FUTURE } from "~/remix-future";

type RouteModule = ServerBuild["routes"][string]["module"];

const modules = import.meta.glob<RouteModule>("/app/routes/**/*.{ts,tsx}");

export async function loadServerBuild(): Promise<ServerBuild> {
  const appDir = path.resolve("app");
  const manifest = flatRoutes(appDir, ["**/.*", "**/*.test.*"]);
  const routes: ServerBuild["routes"] = {
    root: {
      id: "root",
      path: "",
      module: (await import("~/root")) as RouteModule,
    },
  };
  const assetRoutes: Record<string, unknown> = {
    root: {
      id: "root",
      path: "",
      module: "/root.js",
      hasLoader: false,
      hasAction: false,
      hasClientLoader: false,
      hasClientAction: false,
      hasErrorBoundary: false,
      imports: [],
    },
  };
  for (const route of Object.values(manifest)) {
    const load = modules[`/app/${route.file.split(path.sep).join("/")}`];
    if (!load) throw new Error(`No module for route file ${route.file}`);
    const module = await load();
    routes[route.id] = {
      id: route.id,
      parentId: route.parentId ?? "root",
      path: route.path,
      index: route.index,
      caseSensitive: route.caseSensitive,
      module,
    };
    assetRoutes[route.id] = {
      id: route.id,
      parentId: route.parentId ?? "root",
      path: route.path,
      index: route.index,
      module: `/${route.id}.js`,
      hasLoader: "loader" in module,
      hasAction: "action" in module,
      hasClientLoader: false,
      hasClientAction: false,
      hasErrorBoundary: "ErrorBoundary" in module,
      imports: [],
    };
  }
  const entry =
    (await import("~/entry.server")) as ServerBuild["entry"]["module"];
  return {
    mode: "production",
    entry: { module: entry },
    routes,
    assets: {
      entry: { module: "/entry.client.js", imports: [] },
      routes: assetRoutes,
      url: "/manifest.js",
      version: "test",
    } as unknown as ServerBuild["assets"],
    publicPath: "/",
    assetsBuildDirectory: "build/client",
    future: {
      ...REMIX_FUTURE,
      unstable_optimizeDeps: false,
    } as unknown as ServerBuild["future"],
    isSpaMode: false,
  };
}
