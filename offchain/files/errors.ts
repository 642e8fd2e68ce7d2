/** Typed failures of the content-addressed file store. */
import { TributaryError } from "../common/errors";

export type FileStoreErrorCode = "FILES_NOT_FOUND" | "FILES_BAD_HASH";

export class FileStoreError extends TributaryError {
  override readonly name: string = "FileStoreError";
  declare readonly code: FileStoreErrorCode;
}

/** Thrown when no stored file has the asked content hash. Permanent: the store never deletes. */
export class StoredFileNotFoundError extends FileStoreError {
  override readonly name = "StoredFileNotFoundError";
  constructor(readonly contentHash: string) {
    super("FILES_NOT_FOUND", `no stored file with content hash ${contentHash}`);
  }
}

/** Thrown when a content hash is not a 0x-prefixed 32-byte hex string (it names a file path: never trust it). */
export class BadContentHashError extends FileStoreError {
  override readonly name = "BadContentHashError";
  constructor(readonly contentHash: string) {
    super("FILES_BAD_HASH", `not a content hash: ${JSON.stringify(contentHash.slice(0, 80))}`);
  }
}
