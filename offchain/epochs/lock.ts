/**
 * The epoch-close advisory lock. A close takes it exclusively (one closer at a time, across processes sharing the
 * database); usage ingestion takes it shared, so a batch's read of the last closed epoch and its insert can never
 * straddle a close (offchain/api/services/usage.ts).
 */
export const EPOCH_CLOSE_LOCK = 0x65706f6368;
