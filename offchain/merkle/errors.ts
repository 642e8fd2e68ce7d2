/**
 * Typed failures of the Merkle distribution, on the shared base (the browser bundle imports them too). All are
 * permanent: they describe bad input or a bad file, which the same call will reject again.
 */
import { TributaryError } from "../common/errors";

export type MerkleErrorCode =
  | "MERKLE_EMPTY_TREE"
  | "MERKLE_INVALID_LEAF"
  | "MERKLE_DUPLICATE_LEAF"
  | "MERKLE_LEAF_INDEX_OUT_OF_RANGE"
  | "MERKLE_MULTIPROOF_UNSUPPORTED"
  | "MERKLE_DISTRIBUTION_META_INVALID"
  | "MERKLE_DISTRIBUTION_FILE_INVALID"
  | "MERKLE_WORKER_FAILED";

export class MerkleError extends TributaryError {
  override readonly name: string = "MerkleError";
  declare readonly code: MerkleErrorCode;
  constructor(
    code: MerkleErrorCode,
    readonly shortMessage: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${code}: ${shortMessage}`, { cause: options?.cause, kind: "permanent" });
  }
}

/** Thrown when a tree or distribution is built from zero leaves (there is no meaningful root). */
export class MerkleEmptyTreeError extends MerkleError {
  override readonly name = "MerkleEmptyTreeError";
  constructor() {
    super("MERKLE_EMPTY_TREE", "a Merkle tree needs at least one leaf");
  }
}

/** Thrown when a leaf has a malformed address or an amount outside uint256. */
export class MerkleInvalidLeafError extends MerkleError {
  override readonly name = "MerkleInvalidLeafError";
  constructor(
    readonly position: number,
    reason: string,
  ) {
    super("MERKLE_INVALID_LEAF", `leaf #${position}: ${reason}`);
  }
}

/** Thrown when two leaves share the same (account, token). */
export class MerkleDuplicateLeafError extends MerkleError {
  override readonly name = "MerkleDuplicateLeafError";
  constructor(
    readonly account: string,
    readonly token: string,
  ) {
    super("MERKLE_DUPLICATE_LEAF", `duplicate leaf for account ${account} and token ${token}`);
  }
}

/** Thrown when a proof is asked for a leaf index the tree does not have. */
export class MerkleLeafIndexOutOfRangeError extends MerkleError {
  override readonly name = "MerkleLeafIndexOutOfRangeError";
  constructor(
    readonly index: number,
    readonly leafCount: number,
  ) {
    super("MERKLE_LEAF_INDEX_OUT_OF_RANGE", `leaf index ${index} is outside [0, ${leafCount - 1}]`);
  }
}

/** Thrown when no multiproof of the asked leaves exists in the verifier's form (claim them one by one). */
export class MerkleMultiProofUnsupportedError extends MerkleError {
  override readonly name = "MerkleMultiProofUnsupportedError";
  constructor(reason: string) {
    super("MERKLE_MULTIPROOF_UNSUPPORTED", `no multiproof: ${reason}`);
  }
}

/** Thrown when a distribution's chain id, contract or epoch is malformed. */
export class DistributionMetaInvalidError extends MerkleError {
  override readonly name = "DistributionMetaInvalidError";
  constructor(
    readonly field: "chainId" | "contract" | "epoch",
    reason: string,
  ) {
    super("MERKLE_DISTRIBUTION_META_INVALID", `${field} ${reason}`);
  }
}

/** Thrown by the distribution-file reader when the bytes are not a valid canonical file. */
export class DistributionFileInvalidError extends MerkleError {
  override readonly name = "DistributionFileInvalidError";
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super("MERKLE_DISTRIBUTION_FILE_INVALID", `line ${line}: ${reason}`);
  }
}

/** A hashing worker thread failed or exited early; the same input may succeed on a new worker. */
export class MerkleWorkerError extends TributaryError {
  override readonly name = "MerkleWorkerError";
  declare readonly code: "MERKLE_WORKER_FAILED";
  constructor(message: string) {
    super("MERKLE_WORKER_FAILED", message, { kind: "retryable" });
  }
}
