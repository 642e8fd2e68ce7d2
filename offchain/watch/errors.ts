/** Errors of the root watcher. */
import { TributaryError } from "../common/errors";

/** The watcher's state file is unreadable, or belongs to another chain or splitter. */
export class WatchStateError extends TributaryError {
  override readonly name = "WatchStateError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("WATCH_STATE_INVALID", message, options);
  }
}
