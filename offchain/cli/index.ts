/** Entry of the `tributary` bin. */
import { runCli } from "./program";
import { processIo } from "./output";

// `watch` runs until one of these; every other command ignores it.
const until = new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
runCli(process.argv.slice(2), { io: processIo, until }).then((code) => process.exit(code));
