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
  // Text keys and hash lists alike count when non-empty.
  const keys: MatchKey[] = PERSON_KEYS.filter((key) => user[key]?.length);
  if (user.ip && user.user_agent) keys.push("ip_ua");
  return keys;
}
