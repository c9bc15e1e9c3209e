// Which match keys the last 7 days of Purchases carried, and which shopper journeys lost
// them, in the merchant's words, from the day summary's groups (status × match keys ×
// journey). Pure and browser-safe: the home page and the settings page both show it.
import type { MatchKey } from "~/tiktok/match-keys";
import {
  MATCH_KEYS,
  MATCH_KEY_LABELS,
  knownStatus,
  parseMatchKeys,
  percent,
} from "~/delivery-log/present";
import type { StatusKeysGroup } from "~/delivery-log/summary";
import type { Journey } from "~/orders/journey";

/** How a key is named to a merchant; keys without an entry use their delivery-log label. */
const KEY_WORDS: Partial<Record<string, string>> = {
  email: "Email",
  phone: "Phone number",
  external_id: "Customer id",
  ttclid: "ttclid (TikTok's ad click id)",
  ttp: "_ttp (TikTok's browser id)",
  ip_ua: "IP address and browser",
  first_name: "First name",
  last_name: "Last name",
  city: "City",
  state: "State or province",
  country: "Country",
  zip_code: "Postal code",
};

const JOURNEY_WORDS: Record<Journey, string> = {
  theme_cart: "came through your theme's cart",
  direct_checkout: "came through Buy it now or a checkout link",
  draft_or_other: "were draft, POS or API orders",
};

/** A journey is said to lose _ttp when at least this share of its Purchases lack it. */
export const LOSS_PERCENT = 20;

export interface KeyLine {
  key: MatchKey;
  percent: number;
  text: string;
}

export interface JourneyLine {
  journey: Journey;
  /** Whole percent of the Purchases whose journey is known. */
  share: number;
  /** Whole percent of this journey's Purchases without _ttp. */
  lackingTtp: number;
  text: string;
  /** What fixes it, when the app can tell: the setup checklist step to do. */
  fix: "connect-pixel" | "app-embed" | null;
}

export interface KeyCoverage {
  /** Delivered and pending Purchases of the window: those that reach TikTok. */
  purchases: number;
  keys: KeyLine[];
  journeys: JourneyLine[];
  /** One sentence when there is nothing to say per key (no Purchases). */
  empty: string | null;
}

export interface CoverageContext {
  /** The checkout web pixel is connected (ShopSettings.webPixelId, without webPixelError). */
  webPixelConnected: boolean;
  /** The app embed reported storefront events in the window. */
  storefrontSeen: boolean;
}

const keyWords = (key: MatchKey) => KEY_WORDS[key] ?? MATCH_KEY_LABELS[key];

export function describeKeyCoverage(
  groups: readonly StatusKeysGroup[],
  context: CoverageContext,
): KeyCoverage {
  // Failed and skipped Purchases never reached TikTok: their keys match nothing.
  const sent = groups.filter((g) => {
    const status = knownStatus(g.status);
    return status === "delivered" || status === "pending";
  });
  const purchases = sent.reduce((a, g) => a + g.count, 0);
  if (purchases === 0)
    return {
      purchases,
      keys: [],
      journeys: [],
      empty:
        "No Purchases reached TikTok in the last 7 days, so there is no key coverage to report yet.",
    };

  const keyCounts = new Map<MatchKey, number>();
  for (const g of sent)
    for (const key of parseMatchKeys(g.matchKeys))
      keyCounts.set(key, (keyCounts.get(key) ?? 0) + g.count);
  const keys = MATCH_KEYS.map((key) => {
    const p = percent(keyCounts.get(key) ?? 0, purchases) ?? 0;
    return {
      key,
      percent: p,
      text: `${keyWords(key)} reached TikTok on ${p}% of Purchases.`,
    };
  });

  const perJourney = new Map<Journey, { count: number; withTtp: number }>();
  for (const g of sent) {
    // Unknown ("": recorded before journeys were kept, or a backfilled order) says nothing.
    const journey = g.journey;
    if (!journey || !Object.hasOwn(JOURNEY_WORDS, journey)) continue;
    const j = perJourney.get(journey as Journey) ?? { count: 0, withTtp: 0 };
    j.count += g.count;
    if (parseMatchKeys(g.matchKeys).includes("ttp")) j.withTtp += g.count;
    perJourney.set(journey as Journey, j);
  }
  const known = [...perJourney.values()].reduce((a, j) => a + j.count, 0);
  const journeys: JourneyLine[] = [];
  for (const [journey, j] of perJourney) {
    const share = percent(j.count, known) ?? 0;
    const lackingTtp = percent(j.count - j.withTtp, j.count) ?? 0;
    const line = journeyLine(journey, share, lackingTtp, context);
    if (line) journeys.push(line);
  }
  journeys.sort((a, b) => b.share - a.share);
  return { purchases, keys, journeys, empty: null };
}

function journeyLine(
  journey: Journey,
  share: number,
  lackingTtp: number,
  context: CoverageContext,
): JourneyLine | null {
  const opening = `${share}% of orders ${JOURNEY_WORDS[journey]}`;
  const base = { journey, share, lackingTtp };
  if (journey === "draft_or_other")
    return {
      ...base,
      text: `${opening}: no shopper browser took part, so TikTok can match them only on email, phone and customer details.`,
      fix: null,
    };
  if (lackingTtp < LOSS_PERCENT) return null;
  const lack = `${lackingTtp}% of their Purchases lack _ttp (TikTok's browser id)`;
  if (journey === "direct_checkout" && !context.webPixelConnected)
    return {
      ...base,
      text: `${opening}; ${lack} until the checkout web pixel is connected.`,
      fix: "connect-pixel",
    };
  if (journey === "theme_cart" && !context.storefrontSeen)
    return {
      ...base,
      text: `${opening}; ${lack}: turn on the app embed in your theme so the storefront passes it on.`,
      fix: "app-embed",
    };
  return {
    ...base,
    text: `${opening}; ${lack}. Shoppers who block cookies or decline tracking carry none.`,
    fix: null,
  };
}
