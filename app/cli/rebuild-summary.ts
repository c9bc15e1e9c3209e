// `npm run rebuild-summary`: recounts the home page's day summary (DeliveryDaySummary) from the
// Delivery table and exits. For an upgrade during which processes of the previous version kept
// writing deliveries after the migration's backfill (README, "Upgrading"); safe while the app runs.
import prisma from "../db.server";
import { rebuildDaySummaries } from "../delivery/outbox/day-summary.server";
import { errorSummary, logger } from "../observability/logger.server";

const log = logger().child({ component: "day-summary" });
rebuildDaySummaries(prisma)
  .then((rows) => {
    log.info(
      { outcome: "rebuilt", rows },
      `day summary: recounted from the deliveries (${rows} row(s))`,
    );
    return prisma.$disconnect();
  })
  .catch((error: unknown) => {
    log.error(
      { outcome: "failed", error: errorSummary(error) },
      "day summary rebuild failed",
    );
    process.exitCode = 1;
  });
