// Entry point Shopify CLI builds and Shopify loads in the strict sandbox:
// https://shopify.dev/docs/apps/build/marketing-analytics/build-web-pixels
import { register } from "@shopify/web-pixels-extension";
import { startRelay } from "./relay";

register(startRelay);
