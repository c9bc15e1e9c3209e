/**
 * The request envelope around built events: `event_source`, `event_source_id` (the pixel code),
 * `partner_name`, `test_event_code` and `data[]`, as in TikTok's Events API 2.0 docs
 * (https://business-api.tiktok.com/portal/docs?id=1771100865818625).
 */
import { formatText } from "./formatters";
import type { TikTokEvent, TrackRequestBody } from "./wire-types";

/** Default `partner_name` sent at the top level of every request. */
export const PARTNER_NAME = "ShopifyServerSideTikTok";

/** Maximum events per request TikTok accepts in `data[]` (Events API 2.0 docs, link above). */
export const MAX_EVENTS_PER_REQUEST = 1000;

export function buildTrackBody(args: {
  pixelCode: string;
  testEventCode?: string | null;
  events: TikTokEvent[];
  /** Defaults to PARTNER_NAME; pass null to leave it out. */
  partnerName?: string | null;
}): TrackRequestBody {
  const partnerName =
    args.partnerName === undefined
      ? PARTNER_NAME
      : formatText(args.partnerName);
  const testEventCode = formatText(args.testEventCode);
  // Keys in the documented order; test_event_code only at the top level and only when set.
  return {
    event_source: "web",
    event_source_id: args.pixelCode.trim(),
    ...(partnerName ? { partner_name: partnerName } : {}),
    ...(testEventCode ? { test_event_code: testEventCode } : {}),
    data: args.events,
  };
}
