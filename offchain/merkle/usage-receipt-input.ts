/**
 * What a user hands a verifier as a usage receipt: the API's answer (`{ epoch, contentHash, receipt }`, from
 * `GET /v1/licenses/:id/usage-receipt`) or the bare receipt inside it. One rule for the CLI (`verify receipt`) and
 * the auditor page, which both verify with `verifyUsageReceipt` afterwards (it validates the shape).
 */

/** The receipt inside an API answer, or `input` itself when it is not one. */
export function unwrapUsageReceipt(input: unknown): unknown {
  return typeof input === "object" && input !== null && "receipt" in input
    ? (input as { receipt: unknown }).receipt
    : input;
}

/** The epoch a receipt claims (undefined when it names none), to compare with the file's before verifying. */
export function usageReceiptEpoch(receipt: unknown): unknown {
  return typeof receipt === "object" && receipt !== null ? (receipt as { epoch?: unknown }).epoch : undefined;
}
