/**
 * The entry point other modules use for TikTok v1.3 payloads. The work lives in small modules:
 * wire-types (the JSON shape), formatters + event-builder (building), track-body (the request
 * envelope), event-validation (v1.3 rules) and match-keys (match quality).
 */
export type {
  ContentType,
  TikTokContent,
  TikTokEvent,
  TikTokPage,
  TikTokProperties,
  TikTokUser,
  TrackRequestBody,
} from "./wire-types";
export { toUnixSeconds } from "./formatters";
export { buildEvent, type ContentInput, type EventInput } from "./event-builder";
export { buildTrackBody, MAX_EVENTS_PER_REQUEST, PARTNER_NAME } from "./track-body";
export { validateEvent, validateTrackBody, type ValidateOptions } from "./event-validation";
export { matchKeysOf, type MatchKey } from "./match-keys";
