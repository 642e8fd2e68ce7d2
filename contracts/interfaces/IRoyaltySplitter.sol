// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRoyaltySplitter
/// @notice Interface of the Tributary royalty splitter: buyers deposit license fees, a poster proposes
/// timelocked Merkle roots of cumulative per-creator allocations, creators (or anyone for them) claim.
/// @dev Every event and custom error of the splitter is declared here, once.
interface IRoyaltySplitter {
    /* ------------------------------------------------------------------ */
    /*                                TYPES                               */
    /* ------------------------------------------------------------------ */

    /// @notice A token's cumulative allocation total in a proposed root.
    /// @param token The ERC-20 token, or the native-ETH sentinel.
    /// @param total Sum of every account's cumulative allocation of `token` in the tree.
    struct TokenTotal {
        address token;
        uint256 total;
    }

    /// @notice One entry of a batch claim.
    /// @param account The leaf's account; the payout always goes to it.
    /// @param token The leaf's token.
    /// @param cumulativeAmount The leaf's cumulative allocation.
    /// @param proof Sorted-pair Merkle proof of the leaf.
    struct ClaimRequest {
        address account;
        address token;
        uint256 cumulativeAmount;
        bytes32[] proof;
    }

    /* ------------------------------------------------------------------ */
    /*                                EVENTS                              */
    /* ------------------------------------------------------------------ */

    /// @notice Emitted when a buyer pays a license fee; `amount` is what actually arrived.
    event Deposited(bytes32 indexed licenseId, address indexed payer, address indexed token, uint256 amount);

    /// @notice Emitted when the poster proposes the root of `epoch`; it becomes claimable at `readyAt`
    /// unless the guardian vetoes it before then.
    event RootProposed(
        uint32 indexed epoch, bytes32 indexed root, bytes32 contentHash, uint64 readyAt, TokenTotal[] totals
    );

    /// @notice Emitted when the guardian vetoes the pending root of `epoch` before it matured.
    event RootVetoed(uint32 indexed epoch, bytes32 indexed root, address indexed guardian);

    /// @notice Emitted when `amount` of `token` is paid for `account`'s leaf; `cumulativeAmount` is the account's
    /// new claimed total of `token`. The payout went to `account` unless `ClaimRedirected` follows in the same call.
    event Claimed(address indexed account, address indexed token, uint256 amount, uint256 cumulativeAmount);

    /// @notice Emitted right after `Claimed` by `claimTo`: that payout went to `recipient`, as `account` signed.
    event ClaimRedirected(address indexed account, address indexed token, address indexed recipient);

    /// @notice Emitted when the admin adds `token` to (or removes it from) the deposit allow-list.
    event TokenAllowedSet(address indexed token, bool allowed);

    /// @notice Emitted when the admin changes the timelock of future root proposals.
    event TimelockSet(uint32 previousTimelock, uint32 newTimelock);

    /// @notice Emitted when the guardian pauses deposits, proposals and claims.
    event Paused(address indexed guardian);

    /// @notice Emitted when the admin lifts the pause.
    event Unpaused(address indexed admin);

    /// @notice Emitted when `account` burns its `claimTo` nonce `nonce`, cancelling signatures that use it.
    event NonceInvalidated(address indexed account, uint256 nonce);

    /* ------------------------------------------------------------------ */
    /*                                ERRORS                              */
    /* ------------------------------------------------------------------ */

    /// @notice Thrown when a paused operation is called while the splitter is paused.
    error RoyaltySplitterPaused();

    /// @notice Thrown when `unpause` is called while the splitter is not paused.
    error RoyaltySplitterNotPaused();

    /// @notice Thrown when a claim is made before any root has become claimable.
    error RoyaltySplitterNoClaimableRoot();

    /// @notice Thrown when a proof does not prove the leaf (`account`, `token`, `cumulativeAmount`).
    error RoyaltySplitterInvalidProof(address account, address token, uint256 cumulativeAmount);

    /// @notice Thrown when `cumulativeAmount` does not exceed what `account` already claimed of `token`.
    error RoyaltySplitterNothingToClaim(address account, address token, uint256 cumulativeAmount, uint256 claimed);

    /// @notice Thrown when depositing a token that is not on the allow-list.
    error RoyaltySplitterTokenNotAllowed(address token);

    /// @notice Thrown when a deposit would credit nothing.
    error RoyaltySplitterZeroAmount();

    /// @notice Thrown when `msg.value` does not match the deposit (must equal `amount` for native ETH, 0 otherwise).
    error RoyaltySplitterValueMismatch(uint256 expected, uint256 actual);

    /// @notice Thrown when a proposal's epoch is not above the last proposed epoch.
    error RoyaltySplitterEpochNotIncreasing(uint32 epoch, uint32 lastEpoch);

    /// @notice Thrown when proposing while the pending root of `epoch` is still maturing (until `readyAt`).
    error RoyaltySplitterRootPending(uint32 epoch, uint64 readyAt);

    /// @notice Thrown when a proposal's root is zero.
    error RoyaltySplitterZeroRoot();

    /// @notice Thrown when a proposal's totals are not sorted by strictly increasing token address.
    error RoyaltySplitterTotalsNotSorted(address token);

    /// @notice Thrown when a proposal allocates more of `token` than was ever deposited.
    error RoyaltySplitterInsolventRoot(address token, uint256 total, uint256 deposited);

    /// @notice Thrown when a proposal's total of `token` is below the claimable root's total (allocations never shrink).
    error RoyaltySplitterTotalDecreased(address token, uint256 total, uint256 previousTotal);

    /// @notice Thrown when a veto names an epoch that is not the pending, unmatured root.
    error RoyaltySplitterNotPendingEpoch(uint32 epoch);

    /// @notice Thrown when the guardian tries to veto a root that has already matured.
    error RoyaltySplitterRootAlreadyMatured(uint32 epoch, uint64 readyAt);

    /// @notice Thrown when the admin sets a timelock above the maximum.
    error RoyaltySplitterTimelockTooLong(uint32 timelock, uint32 maxTimelock);

    /// @notice Thrown when a `claimTo` signature is used after its deadline.
    error RoyaltySplitterSignatureExpired(uint256 deadline);

    /// @notice Thrown when a `claimTo` signature is not valid for `account` (EOA or ERC-1271).
    error RoyaltySplitterInvalidSignature(address account);

    /// @notice Thrown when an address argument that must be set is zero.
    error RoyaltySplitterZeroAddress();

    /// @notice Thrown when a native-ETH payout to `recipient` fails.
    error RoyaltySplitterNativeTransferFailed(address recipient, uint256 amount);

    /// @notice Thrown when a root's `readyAt` would not fit the packed 32-bit timestamp (after 2106).
    error RoyaltySplitterTimestampTooLarge(uint256 readyAt);

    /// @notice Thrown when a total or deposit does not fit the splitter's packed storage.
    error RoyaltySplitterAmountTooLarge(address token, uint256 amount);

    /// @notice Thrown when `claimMultiproof` gets `tokensLength` tokens but `amountsLength` cumulative amounts.
    error RoyaltySplitterLengthMismatch(uint256 tokensLength, uint256 amountsLength);

    /// @notice Thrown when a multiproof for `account`'s leaves does not lead to the claimable root.
    error RoyaltySplitterInvalidMultiproof(address account);

    /* ------------------------------------------------------------------ */
    /*                               DEPOSITS                             */
    /* ------------------------------------------------------------------ */

    /// @notice Pays `amount` of `token` (or native ETH via the sentinel with `msg.value == amount`) for `licenseId`.
    function deposit(bytes32 licenseId, address token, uint256 amount) external payable;

    /// @notice Like `deposit` for an EIP-2612 token, approving through `permit` in the same transaction.
    function depositWithPermit(
        bytes32 licenseId,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external;

    /* ------------------------------------------------------------------ */
    /*                                 ROOTS                              */
    /* ------------------------------------------------------------------ */

    /// @notice Proposes the root of `epoch`, claimable after the timelock.
    function proposeRoot(bytes32 root, bytes32 contentHash, uint32 epoch, TokenTotal[] calldata totals) external;

    /// @notice Vetoes the pending root of `epoch` before it matures.
    function vetoRoot(uint32 epoch) external;

    /// @notice Pauses deposits, proposals and claims.
    function pause() external;

    /// @notice Lifts the pause.
    function unpause() external;

    /// @notice Adds `token` to, or removes it from, the deposit allow-list.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Sets the timelock of future proposals.
    function setTimelock(uint32 newTimelock) external;

    /* ------------------------------------------------------------------ */
    /*                                CLAIMS                              */
    /* ------------------------------------------------------------------ */

    /// @notice Pays `account` what its leaf allows beyond what it already claimed.
    function claim(address account, address token, uint256 cumulativeAmount, bytes32[] calldata proof) external;

    /// @notice Several claims (tokens and/or accounts) against the claimable root in one transaction.
    function claimBatch(ClaimRequest[] calldata requests) external;

    /// @notice Claims several tokens of one `account` with a single Merkle multiproof of its leaves
    /// (OpenZeppelin `MerkleProof.multiProofVerify` semantics), paying each token to `account`.
    /// @param account The account of every leaf.
    /// @param tokens The leaves' tokens, in the order the multiproof consumes the leaves.
    /// @param cumulativeAmounts The leaves' cumulative amounts, parallel to `tokens`.
    /// @param proof The multiproof's sibling hashes.
    /// @param proofFlags OpenZeppelin's `proofFlags` packed, step i in bit i: 1 takes the next computed node,
    /// 0 the next `proof` hash (`leaves + proof.length - 1` steps, at most 256).
    function claimMultiproof(
        address account,
        address[] calldata tokens,
        uint256[] calldata cumulativeAmounts,
        bytes32[] calldata proof,
        uint256 proofFlags
    ) external;

    /// @notice Claims `account`'s leaf to `recipient`, authorised by `account`'s EIP-712 signature.
    function claimTo(
        address account,
        address token,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        address recipient,
        uint256 deadline,
        bytes calldata signature
    ) external;

    /// @notice Burns the caller's current `claimTo` nonce.
    function invalidateNonce() external;

    /* ------------------------------------------------------------------ */
    /*                                 VIEWS                              */
    /* ------------------------------------------------------------------ */

    /// @notice The root claims use now, and its epoch (zero root and epoch 0 before any root matured).
    function claimableRoot() external view returns (bytes32 root, uint32 epoch);

    /// @notice The proposed root that is not claimable yet (zeros if none).
    function pendingRoot() external view returns (bytes32 root, uint32 epoch, uint64 readyAt);

    /// @notice The last epoch ever proposed (vetoed ones included); the next must be higher.
    function lastProposedEpoch() external view returns (uint32);

    /// @notice How much of `token` `account` has claimed in total.
    function claimed(address account, address token) external view returns (uint256);

    /// @notice How much of `token` has been deposited in total.
    function totalDeposited(address token) external view returns (uint256);

    /// @notice Whether `token` may be deposited.
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice The claimable root's total of `token`.
    function rootTotal(address token) external view returns (uint256);

    /// @notice The pending root's total of `token` (0 if there is no unmatured pending root).
    function pendingRootTotal(address token) external view returns (uint256);

    /// @notice Seconds between a proposal and the moment its root becomes claimable.
    function timelock() external view returns (uint32);

    /// @notice Whether deposits, proposals and claims are paused.
    function paused() external view returns (bool);
}
