/** What the chain modules need from the service's `common` object (structurally a pino logger suffices). */
export type ChainLogger = {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
};

export type ChainCommon = { logger: ChainLogger };

/** A logger that drops everything (tests). */
export const silentLogger: ChainLogger = { info() {}, warn() {}, error() {}, debug() {} };
