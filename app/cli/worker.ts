// `npm run worker`: drains the delivery outbox in its own process. Run the web server with
// DELIVERY_WORKER=off when you use this, or keep both: leases keep them from double sending.
import { createDeliveryWorker } from "../delivery/runtime.server";

const worker = createDeliveryWorker();
worker.start();
console.info(`[delivery] worker ${worker.id} started`);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    console.info(`[delivery] ${signal}: finishing in-flight deliveries`);
    void worker.stop().finally(() => process.exit(0));
  });
}
