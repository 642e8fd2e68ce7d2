/** What every module receives instead of importing globals: configuration, logger, metrics. */
import type { Config } from "../config";
import { createLogger, type Logger } from "./logger";
import { createMetrics, type Metrics } from "./metrics";

export type Common = { config: Config; logger: Logger; metrics: Metrics };

export function createCommon(config: Config, opts: { logger?: Logger; defaultMetrics?: boolean } = {}): Common {
  return {
    config,
    logger: opts.logger ?? createLogger({ level: config.logLevel }),
    metrics: createMetrics({ defaultMetrics: opts.defaultMetrics }),
  };
}
