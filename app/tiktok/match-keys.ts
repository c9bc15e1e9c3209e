/** Match quality: which identifiers of a built event TikTok can match a person on. */
import type { TikTokEvent } from "./wire-types";

/**
 * The `user` fields that identify a person (besides IP and user agent), in the order the app
 * lists them everywhere: the delivery log, the home page, validation and the demo.
 */
export const PERSON_KEYS = [
  "ttclid",
  "ttp",
  "email",
  "phone",
  "external_id",
  "first_name",
  "last_name",
  "city",
  "state",
  "country",
  "zip_code",
] as const;

/** What the match-quality views count: the person keys, and IP with user agent as one pair. */
export const MATCH_KEYS = [...PERSON_KEYS, "ip_ua"] as const;

export type MatchKey = (typeof MATCH_KEYS)[number];

/** Which identifiers TikTok can match this event on (for the delivery log / match-quality view). */
export function matchKeysOf(event: TikTokEvent): MatchKey[] {
  const user = event.user;
  if (!user) return [];
  const keys: MatchKey[] = [];
  if (user.ttclid) keys.push("ttclid");
  if (user.ttp) keys.push("ttp");
  if (user.email && user.email.length > 0) keys.push("email");
  if (user.phone && user.phone.length > 0) keys.push("phone");
  if (user.external_id && user.external_id.length > 0) keys.push("external_id");
  if (user.first_name) keys.push("first_name");
  if (user.last_name) keys.push("last_name");
  if (user.city) keys.push("city");
  if (user.state) keys.push("state");
  if (user.country) keys.push("country");
  if (user.zip_code) keys.push("zip_code");
  if (user.ip && user.user_agent) keys.push("ip_ua");
  return keys;
}
