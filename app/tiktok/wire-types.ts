/**
 * The Events API v1.3 ("Events 2.0") request as it goes over the wire: one `data[]` element per
 * event under a top-level envelope. Field names and types follow TikTok's docs
 * (https://business-api.tiktok.com/portal/docs?id=1771100865818625); no legacy 1.x field
 * (pixel_code, timestamp, context) exists here.
 */

export interface TikTokUser {
  ttclid?: string;
  ttp?: string;
  email?: string[];
  phone?: string[];
  external_id?: string[];
  /**
   * SHA-256 hex of the normalised name / postal code (app/tiktok/hashing.ts). Single strings, as
   * in Segment's TikTok destination (segmentio/action-destinations,
   * tiktok-conversions/reportWebEvent/types.ts, TTUser).
   */
  first_name?: string;
  last_name?: string;
  /** Plain, normalised: lower-case a-z0-9 (state and country are codes, e.g. "on", "ca"). */
  city?: string;
  state?: string;
  country?: string;
  zip_code?: string;
  ip?: string;
  user_agent?: string;
  locale?: string;
}

export type ContentType = "product" | "product_group";

export interface TikTokContent {
  content_id: string;
  content_name?: string;
  content_category?: string;
  price?: number;
  quantity?: number;
  brand?: string;
}

export interface TikTokProperties {
  currency?: string;
  value?: number;
  content_type?: ContentType;
  contents?: TikTokContent[];
  order_id?: string;
  num_items?: number;
  query?: string;
}

export interface TikTokPage {
  url?: string;
  referrer?: string;
}

/** One element of `data[]`, exactly as sent. */
export interface TikTokEvent {
  event: string;
  event_time: number;
  event_id: string;
  user?: TikTokUser;
  properties?: TikTokProperties;
  page?: TikTokPage;
  limited_data_use?: boolean;
}

export interface TrackRequestBody {
  event_source: "web";
  event_source_id: string;
  partner_name?: string;
  test_event_code?: string;
  data: TikTokEvent[];
}
