/**
 * One track request: refuse a token that cannot be sent, serialise the body, post it once
 * through the transport and classify TikTok's answer, timed.
 */
import { localFailure, type TrackResult } from "./attempts";
import { isSendableAccessToken } from "./endpoint";
import { classifyResponse, type DeliveryOutcome } from "./outcome";
import type { Transport } from "./transport.server";
import type { TrackRequestBody } from "./wire-types";

export interface TrackRequest {
  accessToken: string;
  body: TrackRequestBody;
}

export type Track = (request: TrackRequest) => Promise<TrackResult>;

export async function sendTrackRequest(
  transport: Transport,
  args: TrackRequest,
): Promise<TrackResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (outcome: DeliveryOutcome): TrackResult => ({
    ...outcome,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
  });
  // A header value with spaces/control characters cannot be sent at all (Node throws).
  if (!isSendableAccessToken(args.accessToken)) {
    return done(
      localFailure(
        "auth",
        "The access token is empty or contains characters that cannot be sent",
      ),
    );
  }
  try {
    const payload = Buffer.from(JSON.stringify(args.body), "utf8");
    return done(
      classifyResponse(await transport.post(payload, args.accessToken)),
    );
  } catch (err) {
    // Only a bug or an unsendable request gets here; resending the same would fail the same way.
    return done(
      localFailure(
        "rejected",
        `The request could not be sent: ${(err as Error).message}`,
      ),
    );
  }
}
