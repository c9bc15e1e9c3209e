/**
 * Where the Events API lives and what a request to it may carry. The default base URL is
 * decided here and only here (config and the client import it). Path as in TikTok's Events API
 * 2.0 docs: POST /open_api/v1.3/event/track/ with an `Access-Token` header
 * (https://business-api.tiktok.com/portal/docs?id=1771100865818625).
 */

export const DEFAULT_TIKTOK_API_BASE_URL = "https://business-api.tiktok.com";
export const TRACK_PATH = "/open_api/v1.3/event/track/";

/** The track URL under a base URL; the base may carry a path prefix and trailing slashes. */
export function trackUrlFor(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${TRACK_PATH}`;
}

/** The track URL, parsed; throws for anything but http(s) so a typo fails at start-up. */
export function parseTrackUrl(baseUrl: string): URL {
  const url = new URL(trackUrlFor(baseUrl));
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new Error(`Unsupported TikTok API URL: ${url.href}`);
  return url;
}

/** Visible ASCII only: what an HTTP header value can carry unchanged. */
const VALID_TOKEN = /^[\x21-\x7e]+$/;

/** False for an empty token or one with spaces/control characters: Node refuses to send such a header. */
export function isSendableAccessToken(token: string): boolean {
  return VALID_TOKEN.test(token);
}
