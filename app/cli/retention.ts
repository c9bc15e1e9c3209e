// `npm run retention`: applies the retention policy once and exits (for a cron job, or to
// check what the hourly task of the delivering process would delete).
import { serverEnv } from "../config.server";
import prisma from "../db.server";
import { errorSummary, logger } from "../observability/logger.server";
import { applyRetention, retentionPolicy } from "../retention/retention.server";

const log = logger().child({ component: "retention" });
const policy = retentionPolicy(serverEnv());
applyRetention(prisma, policy)
  .then((removed) => {
    log.info(
      { outcome: "applied", ...removed, policy },
      `retention: removed ${removed.attributionSessions} storefront session(s) older than ${policy.attributionDays} days, ` +
        `${removed.deliveries} log entr(y/ies) older than ${policy.deliveryLogDays} days, ` +
        `${removed.webhookReceipts} webhook receipt(s) older than ${policy.webhookReceiptDays} days`,
    );
    return prisma.$disconnect();
  })
  .catch((error: unknown) => {
    log.error(
      { outcome: "failed", error: errorSummary(error) },
      "retention failed",
    );
    process.exitCode = 1;
  });
