/**
 * The epochs stage: database rows → settlement engine → Merkle distribution → stored epoch. Nothing in it knows
 * HTTP; offchain/api (the operator route, proofs) and offchain/main (the scheduler) call it.
 */
export {
  carriedState,
  closeEpoch,
  settlementInput,
  type ClosedEpoch,
  type CloseEpochResult,
  type ClosePhase,
  type EpochsDeps,
  type NothingToSettle,
} from "./close";
export { closeDueEpoch, createCloseStep, SCHEDULER_ACTOR, type CloseStep, type CloseStepResult } from "./close-due";
export {
  createDistributionCache,
  DISTRIBUTION_CACHE_SIZE,
  type DistributionCache,
} from "./distribution-cache";
export { epochDistributionFile, openEpochDistribution } from "./distribution-file";
export {
  EpochEndsInFutureError,
  EpochError,
  EpochFileMismatchError,
  EpochNotFoundError,
  EpochUsageCommitmentMismatchError,
  EpochWindowEmptyError,
  type EpochErrorCode,
} from "./errors";
export { billedUsageLeaves, billedUsageRecords, commitEpochUsage, rebuildEpochUsage } from "./usage-commitment";
export {
  createProofState,
  latestProofEpoch,
  proofClaimsRecorded,
  proofEpochsChanged,
  type ClaimedTotal,
  type AccountProofState,
  type ProofEpoch,
  type ProofState,
} from "./proof-state";
