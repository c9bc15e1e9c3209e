/** Match quality: which identifiers of a built event TikTok can match a person on. */
import type { TikTokEvent } from "./wire-types";

export type MatchKey =
  | "ttclid"
  | "ttp"
  | "email"
  | "phone"
  | "external_id"
  | "first_name"
  | "last_name"
  | "city"
  | "state"
  | "country"
  | "zip_code"
  | "ip_ua";

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
