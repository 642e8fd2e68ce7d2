/**
 * The EIP-712 message a creator signs to attest that it holds all rights to a dataset for one scope and that the
 * data contains no third-party personal data. Imports viem types only, so the creator page can build the same
 * message for the wallet to sign.
 */
import type { Hex } from "viem";

export const ATTESTATION_STATEMENT =
  "I hold all rights needed to license this dataset for this scope, and it contains no third-party personal data.";

export const attestationTypes = {
  RightsAttestation: [
    { name: "dataset", type: "bytes32" },
    { name: "scope", type: "string" },
    { name: "statement", type: "string" },
    { name: "issuedAt", type: "uint256" },
  ],
} as const;

export function attestationTypedData(chainId: number, m: { datasetId: Hex; scope: string; issuedAt: Date }) {
  return {
    domain: { name: "Tributary rights attestation", version: "1", chainId },
    types: attestationTypes,
    primaryType: "RightsAttestation" as const,
    message: {
      dataset: m.datasetId,
      scope: m.scope,
      statement: ATTESTATION_STATEMENT,
      issuedAt: BigInt(Math.floor(m.issuedAt.getTime() / 1000)),
    },
  };
}
