/** Entry of the `tributary` bin. */
import { runCli } from "./program";
import { processIo } from "./output";

runCli(process.argv.slice(2), { io: processIo }).then((code) => process.exit(code));
