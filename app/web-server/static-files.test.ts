// The built files through a real loopback server: what is served, with which caching, and that
// nothing outside the file list is (the request then falls through to the app).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStaticFiles, serveStaticFile } from "./static-files.server";

let dir: string;
let server: http.Server;
let base: string;
const bundle = "export const x = 1;\n".repeat(200);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "static-files-"));
  mkdirSync(path.join(dir, "client", "assets"), { recursive: true });
  writeFileSync(path.join(dir, "client", "assets", "app-abc123.js"), bundle);
  writeFileSync(path.join(dir, "client", "assets", "tiny.css"), "a{}");
  writeFileSync(path.join(dir, "client", "logo.png"), Buffer.alloc(2048, 1));
  writeFileSync(path.join(dir, "secret.txt"), "outside the client directory");
  const files = loadStaticFiles(path.join(dir, "client"));
  server = http.createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0];
    if (!serveStaticFile(files, pathname, req, res))
      res.writeHead(418).end("app");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** node:http, not fetch: fetch would undo the gzip and hide Content-Encoding's effect. */
function get(
  pathname: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    http
      .request(`${base}${pathname}`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      })
      .on("error", reject)
      .end();
  });
}

describe("built client files", () => {
  it("serves hashed assets as immutable for a year, gzipped when asked", async () => {
    const plain = await get("/assets/app-abc123.js");
    expect(plain.status).toBe(200);
    expect(plain.headers["content-type"]).toBe(
      "text/javascript; charset=utf-8",
    );
    expect(plain.headers["cache-control"]).toBe(
      "public, max-age=31536000, immutable",
    );
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.body.toString()).toBe(bundle);

    const zipped = await get("/assets/app-abc123.js", {
      "Accept-Encoding": "gzip, br",
    });
    expect(zipped.headers["content-encoding"]).toBe("gzip");
    expect(zipped.headers.vary).toBe("Accept-Encoding");
    expect(Number(zipped.headers["content-length"])).toBe(zipped.body.length);
    expect(zipped.body.length).toBeLessThan(bundle.length / 10);
    expect(gunzipSync(zipped.body).toString()).toBe(bundle);
  });

  it("leaves small files and images uncompressed, and caches non-asset files for an hour", async () => {
    const css = await get("/assets/tiny.css", { "Accept-Encoding": "gzip" });
    expect(css.headers["content-encoding"]).toBeUndefined();
    expect(css.body.toString()).toBe("a{}");
    const png = await get("/logo.png", { "Accept-Encoding": "gzip" });
    expect(png.status).toBe(200);
    expect(png.headers["content-type"]).toBe("image/png");
    expect(png.headers["content-encoding"]).toBeUndefined();
    expect(png.headers["cache-control"]).toBe("public, max-age=3600");
    expect(png.body.length).toBe(2048);
  });

  it("answers a matching If-None-Match with 304 and HEAD without a body", async () => {
    const first = await get("/assets/app-abc123.js");
    const again = await get("/assets/app-abc123.js", {
      "If-None-Match": String(first.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get("/assets/app-abc123.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(Number(head.headers["content-length"])).toBe(bundle.length);
    expect(head.body.length).toBe(0);
  });

  it("passes everything else to the app: unknown names, other methods, paths out of the directory", async () => {
    for (const pathname of [
      "/assets/missing.js",
      "/assets/",
      "/",
      "/../secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/%E0%A4%A",
    ]) {
      const res = await get(pathname);
      expect(res.status, pathname).toBe(418);
    }
    expect((await get("/assets/app-abc123.js", {}, "POST")).status).toBe(418);
  });
});
