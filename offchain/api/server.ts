/**
 * Runs the API alone: config → logger → database (migrated) → bootstrap operator → HTTP. `npm start` (next
 * issue) wraps this with the chain; this entry is what `npm run serve` runs.
 */
import { createServer, type Server } from "node:http";
import { createCommon, type Common } from "../common";
import { loadConfig, type Config } from "../config";
import { openDatabase, type Db } from "../db/client";
import { createApp, requestListener } from "./app";
import { answerClientErrors } from "./client-errors";
import { bootstrapOperator } from "./services/roles";

export type RunningApi = { common: Common; db: Db; server: Server; url: string; close(): Promise<void> };

export async function startApi(config: Config = loadConfig()): Promise<RunningApi> {
  const common = createCommon(config);
  const db = await openDatabase(config.database);
  if (db.appliedMigrations.length) common.logger.info({ migrations: db.appliedMigrations }, "applied migrations");
  await bootstrapOperator({ prisma: db.prisma, common });
  const app = createApp({ common, db });
  const server = createServer(requestListener(app)).listen(config.http.port, config.http.host);
  answerClientErrors(server);
  await new Promise<void>((resolve, reject) => server.once("listening", resolve).once("error", reject));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.http.port;
  const url = `http://${config.http.host}:${port}`;
  common.logger.info({ url, database: db.kind }, "API listening");
  return {
    common,
    db,
    server,
    url,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await db.close();
    },
  };
}

if (require.main === module) {
  startApi().then(
    (api) => {
      console.log(`Tributary API on ${api.url} (docs ${api.url}/docs, database ${api.db.kind})`);
      const stop = () => void api.close().then(() => process.exit(0));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
