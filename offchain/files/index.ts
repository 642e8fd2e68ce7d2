/** The content-addressed file store (distribution files; the audit's published files). */
import type { Common } from "../common";
import { createContentStore, type ContentStore } from "./content-store";

export {
  createContentStore,
  normalizeContentHash,
  type ContentStore,
  type HashingWriter,
  type StoredFile,
} from "./content-store";
export { BadContentHashError, FileStoreError, StoredFileNotFoundError, type FileStoreErrorCode } from "./errors";

/** The configured store (DISTRIBUTION_STORE_DIR). It holds no state but its folder: creating it twice is fine. */
export function distributionStoreOf(common: Pick<Common, "config">): ContentStore {
  return createContentStore({ dir: common.config.distributionStoreDir });
}
