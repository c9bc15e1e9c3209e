// `npm run worker`: drains the delivery outbox in its own process and runs the retention task
// beside it. Run the web server with DELIVERY_WORKER=off when you use this, or keep both:
// leases keep them from double sending. With WORKER_METRICS_PORT set it also serves GET /metrics
// and GET /healthz there, as the web process does on its own port.
import { serverEnv } from "../config.server";
import prisma from "../db.server";
import { runDeliveries } from "../delivery/runtime.server";
import { startWorkerMetricsServer } from "../observability/worker-metrics.server";

const port = serverEnv().WORKER_METRICS_PORT;
// Listening first: a port that cannot be had stops the start before any row is claimed.
const metrics =
  port === undefined
    ? null
    : await startWorkerMetricsServer({
        port,
        prisma,
        token: serverEnv().METRICS_TOKEN,
      });
runDeliveries();
if (metrics) {
  // Beside runDeliveries' own handler: stop listening at once and drop idle connections, so the
  // listener never holds the drain up (the process exits when the drain is over).
  const close = () => metrics.close();
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
}
