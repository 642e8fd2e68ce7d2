/** The root watcher: fetch each proposed root's file, check it against the chain, veto and alert on failure. */
export {
  createWatcher,
  createDevWatcher,
  type Watcher,
  type WatcherConfig,
  type WatcherDeps,
  type WatchPass,
  type Alert,
} from "./watcher";
export { checkDistribution, fetchCommittedFile, type CheckName, type CheckFailure, type Proposal } from "./checks";
export { apiSource, folderSource, mirrorSource, type DistributionSource } from "./sources";
export { loadWatchState, saveWatchState, type WatchState, type EpochRecord } from "./state";
export { WatchStateError } from "./errors";
