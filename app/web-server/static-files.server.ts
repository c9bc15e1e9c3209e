// The built client files (build/client: Vite's hashed /assets/ plus what it copied from public/),
// as remix-serve served them. The build does not change while the server runs, so the file list
// is read once at start-up: a request for anything else costs one Map lookup, not a stat().
import { createReadStream, readFileSync, readdirSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { acceptsGzip, isCompressible } from "./compression.server";

interface StaticFile {
  file: string;
  size: number;
  contentType: string;
  cacheControl: string;
  etag: string;
  lastModified: string;
  /** Filled on the first gzip request for a compressible file; the build is immutable. */
  gzipped?: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
};

/** Hashed file names under /assets/ never change content: cache them for a year, as remix-serve did. */
const IMMUTABLE = "public, max-age=31536000, immutable";
const ONE_HOUR = "public, max-age=3600";

/** Below this a gzip body saves less than its headers cost (the compression middleware's default). */
const GZIP_THRESHOLD = 1024;

export type StaticFiles = ReadonlyMap<string, StaticFile>;

/** Every file under `dir`, keyed by its URL path (`/assets/x.js`). A missing directory serves nothing. */
export function loadStaticFiles(dir: string): StaticFiles {
  const files = new Map<string, StaticFile>();
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      if (!entry.isFile()) continue;
      const stat = statSync(full);
      const urlPath = "/" + path.relative(dir, full).split(path.sep).join("/");
      files.set(urlPath, {
        file: full,
        size: stat.size,
        contentType:
          CONTENT_TYPES[path.extname(entry.name).toLowerCase()] ??
          "application/octet-stream",
        cacheControl: urlPath.startsWith("/assets/") ? IMMUTABLE : ONE_HOUR,
        etag: `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
        lastModified: stat.mtime.toUTCString(),
      });
    }
  };
  walk(dir);
  return files;
}

/** Answers a GET/HEAD for a built file; false when `pathname` is not one (the app handles it). */
export function serveStaticFile(
  files: StaticFiles,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return false;
  }
  // Only names found in the build match, so `..` and the like can never leave it.
  const found = files.get(decoded);
  if (!found) return false;
  const headers: Record<string, string | number> = {
    "Content-Type": found.contentType,
    "Cache-Control": found.cacheControl,
    ETag: found.etag,
    "Last-Modified": found.lastModified,
  };
  if (req.headers["if-none-match"] === found.etag) {
    res.writeHead(304, headers).end();
    return true;
  }
  const compressible =
    found.size >= GZIP_THRESHOLD && isCompressible(found.contentType);
  if (compressible) headers.Vary = "Accept-Encoding";
  if (compressible && acceptsGzip(req.headers["accept-encoding"])) {
    // Once per file and process: the build is immutable, and its files are small.
    found.gzipped ??= gzipSync(readFileSync(found.file));
    headers["Content-Encoding"] = "gzip";
    headers["Content-Length"] = found.gzipped.length;
    res.writeHead(200, headers);
    res.end(req.method === "HEAD" ? undefined : found.gzipped);
    return true;
  }
  headers["Content-Length"] = found.size;
  res.writeHead(200, headers);
  if (req.method === "HEAD") res.end();
  else
    createReadStream(found.file)
      .on("error", () => res.destroy())
      .pipe(res);
  return true;
}
