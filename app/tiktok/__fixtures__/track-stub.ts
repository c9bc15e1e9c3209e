/**
 * A tiny TikTok stand-in for the client tests: a real HTTP server on 127.0.0.1 (no mocked
 * fetch) that records requests, counts TCP connections and answers with a handler.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { buildEvent } from "../event-builder";
import { hashUserIdentifiers } from "../hashing";
import type { TikTokEvent, TrackRequestBody } from "../wire-types";

export interface Recorded {
  bytes: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: TrackRequestBody;
}

export type Handler = (
  req: Recorded,
  res: http.ServerResponse,
  socketRequestNo: number,
) => void;

export function json(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export const okHandler: Handler = (_req, res) =>
  json(res, 200, { code: 0, message: "OK", request_id: "req-ok", data: {} });

export class Stub {
  server = http.createServer();
  requests: Recorded[] = [];
  connections = 0;
  handler: Handler = okHandler;
  private perSocket = new WeakMap<object, number>();

  constructor() {
    this.server.on("connection", () => this.connections++);
    this.server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const n = (this.perSocket.get(req.socket) ?? 0) + 1;
        this.perSocket.set(req.socket, n);
        const raw = Buffer.concat(chunks).toString("utf8");
        const rec: Recorded = {
          bytes: Buffer.concat(chunks).length,
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: JSON.parse(raw),
        };
        this.requests.push(rec);
        this.handler(rec, res, n);
      });
    });
  }
  async start(): Promise<string> {
    await new Promise<void>((resolve) =>
      this.server.listen(0, "127.0.0.1", resolve),
    );
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  reset(handler: Handler = okHandler) {
    this.requests = [];
    this.connections = 0;
    this.handler = handler;
    this.server.closeAllConnections();
  }
  async stop() {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (bound, then released). */
export async function closedPortUrl(): Promise<string> {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Purchase number `i`; `marker` is appended to the item name (a handler can look for it). */
export function purchase(i: number, marker = ""): TikTokEvent {
  return buildEvent({
    eventName: "Purchase",
    eventId: `${5500000000000 + i}_Purchase`,
    eventTime: 1748781296,
    user: {
      ...hashUserIdentifiers({ emails: [`buyer${i}@example.com`] }),
      ip: "203.0.113.7",
      userAgent: "Mozilla/5.0",
    },
    properties: {
      currency: "USD",
      value: 10 + i,
      contentType: "product",
      contents: [
        {
          contentId: 4400 + i,
          contentName: `Item ${i}${marker}`,
          price: 10 + i,
          quantity: 1,
        },
      ],
      orderId: 5500000000000 + i,
    },
  });
}
