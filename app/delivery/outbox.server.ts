// Kept for the modules that import the ingest input type from here (app/storefront, app/orders);
// everything that writes deliveries lives in ./outbox/.
export type { DeliverySource, NewDelivery } from "./outbox/enqueue.server";
