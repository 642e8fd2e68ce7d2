/**
 * An epoch close in its own process (the kill -9 test's victim): opens the database named by the environment, closes
 * the next epoch and kills itself with SIGKILL once every row is written (allocations copied), before the commit.
 */
import { openDatabase } from "../../../offchain/db/client";
import { closeEpoch } from "../../../offchain/epochs";
import { epochsCommon } from "./fixtures";

async function main() {
  const db = await openDatabase(
    { url: process.env.CHILD_DATABASE_URL, dataDir: process.env.CHILD_DATA_DIR ?? "" },
    { migrate: false },
  );
  const common = epochsCommon({ DISTRIBUTION_STORE_DIR: process.env.CHILD_STORE_DIR! });
  await closeEpoch({ prisma: db.prisma, common }, "operator-1", { endsAt: process.env.CHILD_END }, (phase) => {
    if (phase !== "dbWrite") return;
    // No chance to commit or roll back: the process ends here, mid-transaction.
    process.stdout.write("written\n");
    process.kill(process.pid, "SIGKILL");
  });
  process.stdout.write("committed\n"); // never reached: the test fails if it is
}
// Only as a child: `hardhat test` loads every .ts file under test/.
if (require.main === module)
  main().catch((err) => {
    process.stderr.write(String(err));
    process.exit(1);
  });
