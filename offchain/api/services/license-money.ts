/**
 * A license's money as the settlement engine carries it (the per-license state of the last epoch that stood):
 * deposited = recognized + refunded + escrow, exactly. Refunds are cumulative leaves for the buyer's address, so
 * what the buyer can claim now comes from `GET /v1/proofs/:account`, not from here.
 */
import { LicenseStateSchema } from "../../settlement/types";
import type { Deps } from "./deps";
import { ownLicense } from "./licenses";

export type LicenseMoney = {
  licenseId: string;
  token: string;
  status: string;
  /** The epoch whose carried state these figures are; null before any epoch closed with this license. */
  asOfEpoch: number | null;
  deposited: string;
  recognized: string;
  refunded: string;
  escrow: string;
  owed: string;
};

export async function licenseMoney(deps: Deps, buyerAddress: string, licenseId: string): Promise<LicenseMoney> {
  const l = await ownLicense(deps, buyerAddress, licenseId);
  // One element of the carried state, read in the database: the state also holds every cumulative allocation
  // (100k+ entries), which this must not load. The last non-vetoed epoch is the one the next close chains from.
  const rows = await deps.prisma.$queryRaw<{ epoch: number; license: unknown }[]>`
    SELECT e.id AS epoch, l.value AS license
    FROM (SELECT id, state FROM epochs WHERE status <> 'vetoed' ORDER BY id DESC LIMIT 1) e
    LEFT JOIN LATERAL jsonb_array_elements(e.state::jsonb -> 'licenses') l(value)
      ON lower(l.value ->> 'licenseId') = lower(${l.id})`;
  const found = rows.find((r) => r.license !== null);
  const s = found ? LicenseStateSchema.parse(found.license) : undefined;
  const deposited = s?.deposited ?? 0n;
  const recognized = s?.recognized ?? 0n;
  const refunded = s?.refunded ?? 0n;
  return {
    licenseId: l.id,
    token: l.token,
    status: l.status,
    asOfEpoch: found ? Number(found.epoch) : null,
    deposited: deposited.toString(),
    recognized: recognized.toString(),
    refunded: refunded.toString(),
    escrow: (deposited - recognized - refunded).toString(),
    owed: (s?.owed ?? []).reduce((a, o) => a + o.amount, 0n).toString(),
  };
}
