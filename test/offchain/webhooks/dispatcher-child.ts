/** A webhook dispatcher in its own process (the kill -9 test's victim): runs until killed. */
import pino from "pino";
import { openDatabase } from "../../../offchain/db/client";
import { createWebhookDispatcher } from "../../../offchain/webhooks";

async function main() {
  const db = await openDatabase({ url: process.env.CHILD_DATABASE_URL, dataDir: "" }, { migrate: false });
  const d = createWebhookDispatcher({
    common: { logger: pino({ level: "silent" }) },
    prisma: db.prisma,
    config: {
      pollMs: 20,
      retryBaseMs: Number(process.env.CHILD_RETRY_BASE_MS),
      maxAttempts: 10,
      timeoutMs: 5000,
      leaseMs: 8000,
      allowHttpLoopback: true,
    },
  });
  d.start();
  process.stdout.write("started\n");
}
// Only as a child: `hardhat test` loads every .ts file under test/, and a dispatcher started in the mocha process
// itself (on an embedded database in the working directory) polled for the whole run and once hung it.
if (require.main === module)
  main().catch((err) => {
    process.stderr.write(String(err));
    process.exit(1);
  });
