/** The chain stage: viem clients and ABIs, development chain and deployment, readers, publisher, scheduler. */
export { royaltySplitterAbi, testStablecoinAbi } from "./abi";
export { createChainClients, type ChainClients, type CreateChainClientsParameters } from "./clients";
export type { ChainCommon, ChainLogger } from "./common";
export { moduleConfigs, type ChainConfig } from "./config";
export { startDevChain, devAccounts, HARDHAT_MNEMONIC, type DevChain, type DevAccount } from "./devchain";
export { createDevMiner, type DevMinerConfig } from "./dev-miner";
export { deployDevStack, type DevStack, type DeployDevStackParameters } from "./deploy";
export {
  readChainIdentity,
  checkChainBinding,
  bindChain,
  type ChainIdentity,
  type BindingCheck,
} from "./chain-binding";
export { loadPublisherAccount, type PublisherKeySource } from "./keys";
export {
  createDepositIndexer,
  DEPOSIT_CURSOR,
  type DepositIndexer,
  type DepositIndexerConfig,
} from "./deposit-indexer";
export { createClaimWatcher, CLAIM_CURSOR, type ClaimWatcher, type ClaimWatcherConfig } from "./claim-watcher";
export { createRootPublisher, type RootPublisher, type RootPublisherConfig, type PublishPass } from "./root-publisher";
export { createAdvisoryLock, PUBLISHER_LOCK_KEY, type AdvisoryLock } from "./advisory-lock";
export { createScheduler, type Scheduler, type SchedulerStep } from "./scheduler";
export {
  ChainError,
  decodeRevert,
  formatRevert,
  RootRevertedError,
  type ChainErrorCode,
  type SplitterErrorName,
} from "./errors";
