// `npm run worker`: drains the delivery outbox in its own process and runs the retention task
// beside it. Run the web server with DELIVERY_WORKER=off when you use this, or keep both:
// leases keep them from double sending. runDeliveries logs the start line.
import { runDeliveries } from "../delivery/runtime.server";

runDeliveries();
