/** Readable text by default, one JSON document with --json; progress goes to stderr so stdout stays parseable. */
export type Io = { out(text: string): void; err(text: string): void; isTty: boolean };

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith("\n") ? t : t + "\n"),
  err: (t) => process.stderr.write(t),
  isTty: Boolean(process.stderr.isTTY),
};

export function emit(io: Io, json: boolean | undefined, value: unknown, text: () => string): void {
  io.out(json ? JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2) : text());
}

/** A progress line on stderr (redrawn in place on a terminal, a line per 10% otherwise); silent with --json. */
export function progress(io: Io, json: boolean | undefined, label: string) {
  let last = -1;
  return (done: number, total: number) => {
    if (json || total <= 0) return;
    const pct = Math.floor((done * 100) / total);
    if (io.isTty) io.err(`\r${label} ${done}/${total} (${pct}%)${done >= total ? "\n" : ""}`);
    else if (Math.floor(pct / 10) !== Math.floor(last / 10) || done >= total)
      io.err(`${label} ${done}/${total} (${pct}%)\n`);
    last = pct;
  };
}
