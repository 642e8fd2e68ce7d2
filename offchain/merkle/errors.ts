/**
 * Typed failures of the Merkle distribution. All are non-retryable: they describe bad input or a bad
 * file, which the same call will reject again.
 */
export type MerkleErrorCode =
  | "MerkleEmptyTree"
  | "MerkleInvalidLeaf"
  | "MerkleDuplicateLeaf"
  | "MerkleLeafIndexOutOfRange"
  | "MerkleMultiProofUnsupported"
  | "DistributionMetaInvalid"
  | "DistributionFileInvalid";

export class MerkleError extends Error {
  override readonly name: string = "MerkleError";
  readonly retryable = false;
  constructor(
    readonly code: MerkleErrorCode,
    readonly shortMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${shortMessage}`, options);
  }
}

/** Thrown when a tree or distribution is built from zero leaves (there is no meaningful root). */
export class MerkleEmptyTreeError extends MerkleError {
  override readonly name = "MerkleEmptyTreeError";
  constructor() {
    super("MerkleEmptyTree", "a Merkle tree needs at least one leaf");
  }
}

/** Thrown when a leaf has a malformed address or an amount outside uint256. */
export class MerkleInvalidLeafError extends MerkleError {
  override readonly name = "MerkleInvalidLeafError";
  constructor(
    readonly position: number,
    reason: string,
  ) {
    super("MerkleInvalidLeaf", `leaf #${position}: ${reason}`);
  }
}

/** Thrown when two leaves share the same (account, token). */
export class MerkleDuplicateLeafError extends MerkleError {
  override readonly name = "MerkleDuplicateLeafError";
  constructor(
    readonly account: string,
    readonly token: string,
  ) {
    super("MerkleDuplicateLeaf", `duplicate leaf for account ${account} and token ${token}`);
  }
}

/** Thrown when a proof is asked for a leaf index the tree does not have. */
export class MerkleLeafIndexOutOfRangeError extends MerkleError {
  override readonly name = "MerkleLeafIndexOutOfRangeError";
  constructor(
    readonly index: number,
    readonly leafCount: number,
  ) {
    super("MerkleLeafIndexOutOfRange", `leaf index ${index} is outside [0, ${leafCount - 1}]`);
  }
}

/** Thrown when no multiproof of the asked leaves exists in the verifier's form (claim them one by one). */
export class MerkleMultiProofUnsupportedError extends MerkleError {
  override readonly name = "MerkleMultiProofUnsupportedError";
  constructor(reason: string) {
    super("MerkleMultiProofUnsupported", `no multiproof: ${reason}`);
  }
}

/** Thrown when a distribution's chain id, contract or epoch is malformed. */
export class DistributionMetaInvalidError extends MerkleError {
  override readonly name = "DistributionMetaInvalidError";
  constructor(
    readonly field: "chainId" | "contract" | "epoch",
    reason: string,
  ) {
    super("DistributionMetaInvalid", `${field} ${reason}`);
  }
}

/** Thrown by the distribution-file reader when the bytes are not a valid canonical file. */
export class DistributionFileInvalidError extends MerkleError {
  override readonly name = "DistributionFileInvalidError";
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super("DistributionFileInvalid", `line ${line}: ${reason}`);
  }
}
