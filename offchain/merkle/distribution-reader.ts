/**
 * Streaming reader of the distribution file (format in distribution-file.ts). It hashes the exact
 * bytes as they arrive, accepts only the canonical form (any other spelling of the same data is
 * rejected, so one distribution has one content hash), checks order, counts and totals, rebuilds the
 * tree and checks the header's root — after which every proof is recoverable from the file alone.
 */
import { createReadStream } from "node:fs";
import type { Address, Hex } from "viem";
import { z } from "zod";
import { indexTokens, packAccounts, type CanonicalLeaves, type TokenTotal } from "./canonical";
import { type Distribution, distributionFromCanonical } from "./distribution";
import {
  createIncrementalKeccak,
  DISTRIBUTION_FORMAT,
  DISTRIBUTION_FORMAT_VERSION,
  LEAF_FIELDS,
  serializeHeader,
  type DistributionHeader,
} from "./distribution-file";
import { DistributionFileInvalidError } from "./errors";
import { MAX_UINT256 } from "./leaf";

export interface ReadDistributionFile {
  readonly distribution: Distribution;
  readonly header: DistributionHeader;
  readonly contentHash: Hex;
  readonly bytes: number;
}

const ADDRESS = z.string().regex(/^0x[0-9a-f]{40}$/);
const DECIMAL = z.string().regex(/^(0|[1-9][0-9]*)$/);
const HeaderSchema = z.strictObject({
  format: z.literal(DISTRIBUTION_FORMAT),
  version: z.literal(DISTRIBUTION_FORMAT_VERSION),
  chainId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  contract: ADDRESS,
  epoch: DECIMAL,
  root: z.string().regex(/^0x[0-9a-f]{64}$/),
  leafCount: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  leafFields: z.tuple([z.literal(LEAF_FIELDS[0]), z.literal(LEAF_FIELDS[1]), z.literal(LEAF_FIELDS[2])]),
  tokens: z.array(z.strictObject({ token: ADDRESS, total: DECIMAL })).min(1),
  usageRoot: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .optional(),
});
const LEAF_LINE = /^\["(0x[0-9a-f]{40})","(0x[0-9a-f]{40})","(0|[1-9][0-9]{0,77})"\]$/;
const MAX_LINE = 1 << 24;
const NEWLINE = 0x0a;

/**
 * Reads, validates and rebuilds a distribution.
 * @param source a file path, or any async iterable of byte/string chunks (e.g. a Readable).
 * @throws DistributionFileInvalidError with the offending line number.
 */
export async function readDistributionFile(
  source: string | AsyncIterable<Uint8Array | string>,
): Promise<ReadDistributionFile> {
  const input = typeof source === "string" ? createReadStream(source) : source;
  const keccak = await createIncrementalKeccak();
  const parser = createLineParser();
  let bytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  for await (const raw of input) {
    const chunk =
      typeof raw === "string" ? Buffer.from(raw, "utf8") : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    keccak.update(chunk);
    bytes += chunk.length;
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl >= 0) {
      const piece = chunk.subarray(start, nl);
      parser.line(carry.length > 0 ? Buffer.concat([carry, piece]).toString("latin1") : piece.toString("latin1"));
      carry = Buffer.alloc(0);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) carry = Buffer.concat([carry, chunk.subarray(start)]);
    if (carry.length > MAX_LINE) throw new DistributionFileInvalidError(parser.lineNumber + 1, "line too long");
  }
  if (carry.length > 0) throw new DistributionFileInvalidError(parser.lineNumber + 1, "file must end with a newline");
  const { header, leaves } = parser.finish();
  const distribution = await distributionFromCanonical(header, leaves);
  if (distribution.root !== header.root) {
    throw new DistributionFileInvalidError(
      1,
      `root ${header.root} does not match the leaves (rebuilt ${distribution.root})`,
    );
  }
  return { distribution, header, contentHash: keccak.digest(), bytes };
}

function createLineParser() {
  let header: (DistributionHeader & { contract: Address }) | undefined;
  const accounts: Address[] = [];
  const tokens: Address[] = [];
  const amounts: bigint[] = [];
  // Per-token sums over the whole list: canonical order interleaves tokens.
  const totals = new Map<Address, bigint>();
  let lineNumber = 0;

  const fail = (reason: string): never => {
    throw new DistributionFileInvalidError(lineNumber, reason);
  };

  return {
    get lineNumber() {
      return lineNumber;
    },
    line(text: string) {
      lineNumber++;
      if (header === undefined) {
        header = parseHeader(text, fail);
        return;
      }
      const m = LEAF_LINE.exec(text);
      if (m === null) return fail('leaf line is not canonical ["<account>","<token>","<amount>"]');
      const account = m[1] as Address;
      const token = m[2] as Address;
      const amount = BigInt(m[3]);
      if (amount > MAX_UINT256) fail("cumulativeAmount exceeds uint256");
      const n = accounts.length;
      if (n > 0) {
        const prevAccount = accounts[n - 1];
        if (account < prevAccount || (account === prevAccount && token <= tokens[n - 1])) {
          fail(
            account === prevAccount && token === tokens[n - 1]
              ? "duplicate (account, token)"
              : "leaves are not in canonical (account, token) order",
          );
        }
      }
      accounts.push(account);
      tokens.push(token);
      amounts.push(amount);
      totals.set(token, (totals.get(token) ?? 0n) + amount);
    },
    finish(): { header: DistributionHeader & { contract: Address }; leaves: CanonicalLeaves } {
      if (header === undefined) return fail("empty file");
      if (accounts.length !== header.leafCount)
        fail(`header says ${header.leafCount} leaves, file has ${accounts.length}`);
      const tokenTotals: TokenTotal[] = [...totals]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([token, total]) => ({ token, total }));
      const expected = header.tokens.map((t) => `${t.token}:${t.total}`).join(",");
      const actual = tokenTotals.map((t) => `${t.token}:${t.total}`).join(",");
      if (expected !== actual) fail(`header token totals ${expected} do not match the leaves ${actual}`);
      const tokenIndex = indexTokens(
        tokens,
        tokenTotals.map((t) => t.token),
      );
      return {
        header,
        leaves: {
          length: accounts.length,
          accounts,
          tokens,
          amounts,
          accountsAscii: packAccounts(accounts),
          tokenIndex,
          tokenTotals,
        },
      };
    },
  };
}

function parseHeader(text: string, fail: (reason: string) => never): DistributionHeader & { contract: Address } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("header is not JSON");
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof json === "object" && json !== null && version !== DISTRIBUTION_FORMAT_VERSION) {
    fail(`unsupported format version ${String(version)} (this reader knows ${DISTRIBUTION_FORMAT_VERSION})`);
  }
  const parsed = HeaderSchema.safeParse(json);
  if (!parsed.success)
    return fail(`invalid header: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
  const h = parsed.data;
  const header = {
    chainId: h.chainId,
    contract: h.contract as Address,
    epoch: BigInt(h.epoch),
    root: h.root,
    leafCount: h.leafCount,
    tokens: h.tokens.map((t) => ({ token: t.token as Address, total: BigInt(t.total) })),
    ...(h.usageRoot === undefined ? {} : { usageRoot: h.usageRoot }),
  };
  if (serializeHeader(header) !== `${text}\n`) fail("header is not in canonical form (key order, spacing or escapes)");
  return header;
}
