/**
 * One POST to the track URL over a keep-alive agent, with a total timeout, read into a
 * TransportResult (a full response, a timeout, or a network error). It never classifies the
 * answer (that is outcome.ts) and never throws for network trouble.
 */
import http from "node:http";
import https from "node:https";
import type { TransportResult } from "./outcome";

export interface TransportOptions {
  url: URL;
  /** Total time for one request (connect, send, full answer). */
  timeoutMs: number;
  /** Sockets per origin. */
  maxSockets: number;
}

export interface Transport {
  /**
   * Sends `payload` (JSON bytes) once. If a reused keep-alive socket turns out dead before any
   * answer, sends it once more on a fresh one.
   */
  post(payload: Buffer, accessToken: string): Promise<TransportResult>;
  /** Closes the pooled sockets. */
  close(): void;
}

/** Largest answer we read; TikTok's are a few hundred bytes. */
export const MAX_RESPONSE_BYTES = 1_000_000;

export function createTransport(options: TransportOptions): Transport {
  const { url, timeoutMs } = options;
  const isHttps = url.protocol === "https:";
  // One agent per transport so consecutive requests reuse TCP/TLS connections.
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets,
    scheduling: "lifo" as const,
  };
  const agent = isHttps
    ? new https.Agent(agentOptions)
    : new http.Agent(agentOptions);
  const request = isHttps ? https.request : http.request;

  function once(
    payload: Buffer,
    accessToken: string,
  ): Promise<{ result: TransportResult; staleSocket: boolean }> {
    return new Promise((resolve) => {
      let settled = false;
      let gotResponse = false;
      const req = request(url, {
        method: "POST",
        agent,
        headers: {
          "Access-Token": accessToken,
          "Content-Type": "application/json",
          "Content-Length": payload.length,
          Accept: "application/json",
        },
      });
      const finish = (result: TransportResult, staleSocket = false) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ result, staleSocket });
      };
      const timer = setTimeout(() => {
        finish({ type: "timeout", timeoutMs });
        req.destroy(new Error("timeout"));
      }, timeoutMs);

      req.on("response", (res) => {
        gotResponse = true;
        readResponse(res, finish);
      });
      req.on("error", (err: NodeJS.ErrnoException) => {
        // A keep-alive socket the server closed while idle fails on reuse before any answer;
        // Node's docs recommend resending in that case
        // (https://nodejs.org/api/http.html#requestreusedsocket). Safe: TikTok deduplicates on event_id.
        const stale =
          !gotResponse &&
          req.reusedSocket &&
          (err.code === "ECONNRESET" || err.code === "EPIPE");
        finish(
          {
            type: "network",
            errorCode: err.code ?? null,
            message: err.message,
          },
          stale,
        );
      });
      req.end(payload);
    });
  }

  return {
    async post(payload, accessToken) {
      const first = await once(payload, accessToken);
      if (!first.staleSocket) return first.result;
      return (await once(payload, accessToken)).result;
    },
    close: () => agent.destroy(),
  };
}

/** Reads a whole answer (up to MAX_RESPONSE_BYTES) and reports it, or the error that cut it short. */
function readResponse(
  res: http.IncomingMessage,
  finish: (result: TransportResult) => void,
) {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
    else
      res.destroy(
        new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`),
      );
  });
  res.on("end", () => {
    const header = (name: string) => {
      const value = res.headers[name];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    };
    finish({
      type: "response",
      status: res.statusCode ?? 0,
      body: Buffer.concat(chunks).toString("utf8"),
      retryAfter: header("retry-after"),
      headerRequestId: header("x-tt-logid"),
    });
  });
  res.on("error", (err: NodeJS.ErrnoException) =>
    finish({
      type: "network",
      errorCode: err.code ?? null,
      message: err.message,
    }),
  );
  res.on("close", () => {
    // After "end" this is a no-op; before it, the connection died mid-answer.
    if (!res.complete) {
      finish({
        type: "network",
        errorCode: "ECONNRESET",
        message: "connection closed mid-response",
      });
    }
  });
}
