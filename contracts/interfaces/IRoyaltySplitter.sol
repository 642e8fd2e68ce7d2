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

    /// @notice Emitted when `account`'s leaf of `token` is paid; `cumulativeAmount` is the account's new claimed total
    /// of `token`, so the amount paid is its increase over the account's previous `Claimed` total of the token (0 if
    /// none); it is not logged, to keep every claim 256 gas cheaper. The payout went to `account` unless
    /// `ClaimRedirected` follows in the same call.
    event Claimed(address indexed account, address indexed token, uint256 cumulativeAmount);

    /// @notice Emitted right after `Claimed` by `claimTo`: that payout went to `recipient`, as `account` signed.
    event ClaimRedirected(address indexed account, address indexed token, address indexed recipient);

    /// @notice Emitted when the admin adds `token` to (or removes it from) the deposit allow-list.
    event TokenAllowedSet(address indexed token, bool allowed);

    /// @notice Emitted when the admin changes the timelock of future root proposals.
    event TimelockSet(uint32 previousTimelock, uint32 newTimelock);

    /// @notice Emitted when a guardian pauses deposits and claims.
    event Paused(address indexed guardian);

    /// @notice Emitted when the admin lifts the pause.
    event Unpaused(address indexed admin);

    /// @notice Emitted when the admin schedules granting (`grant`) or revoking `role` for `account`; the admin can
    /// execute it with `grantRole` / `revokeRole` from `readyAt` on, unless a guardian cancels it first.
    event RoleChangeScheduled(
        bytes32 indexed id, bytes32 indexed role, address indexed account, bool grant, uint64 readyAt
    );

    /// @notice Emitted when the admin schedules setting the timelock to `newTimelock`; executable with
    /// `setTimelock` from `readyAt` on, unless a guardian cancels it first.
    event TimelockChangeScheduled(bytes32 indexed id, uint32 newTimelock, uint64 readyAt);

    /// @notice Emitted when `guardian` cancels the scheduled change `id`.
    event ScheduledChangeCancelled(bytes32 indexed id, address indexed guardian);

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

    /// @notice Thrown when a proposal skips more epochs than seconds passed since the last proposal (the most
    /// allowed is `maxEpoch`).
    error RoyaltySplitterEpochTooFar(uint32 epoch, uint256 maxEpoch);

    /// @notice Thrown when a claim would use a root that a proposal made while paused has superseded, before
    /// any newer root matured.
    error RoyaltySplitterRootSuperseded();

    /// @notice Thrown when a payout's recipient is zero or the splitter itself.
    error RoyaltySplitterInvalidRecipient(address recipient);

    /// @notice Thrown when the admin sets a timelock below `TIMELOCK_FLOOR`.
    error RoyaltySplitterTimelockBelowFloor(uint32 timelock, uint32 floor);

    /// @notice Thrown when executing a change that was not scheduled (or was cancelled or already executed).
    error RoyaltySplitterNotScheduled(bytes32 id);

    /// @notice Thrown when executing a scheduled change before its `readyAt`.
    error RoyaltySplitterScheduledTooEarly(bytes32 id, uint64 readyAt);

    /// @notice Thrown when scheduling a change that is already scheduled.
    error RoyaltySplitterAlreadyScheduled(bytes32 id);

    /// @notice Thrown when scheduling a change of a role that is not delayed (only poster and guardian are).
    error RoyaltySplitterRoleNotDelayed(bytes32 role);

    /// @notice Thrown when the last guardian would lose its role.
    error RoyaltySplitterLastGuardian(address guardian);

    /// @notice Thrown when a root's `readyAt` would not fit the packed 32-bit timestamp (after 2106).
    error RoyaltySplitterTimestampTooLarge(uint256 readyAt);

    /// @notice Thrown when a deposit would take a token's total deposits above `type(uint112).max`.
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

    /// @notice Vetoes the pending root of `epoch` before it matures (any guardian, also while paused).
    function vetoRoot(uint32 epoch) external;

    /// @notice Pauses deposits and claims (proposals and vetoes go on, to correct a bad root).
    function pause() external;

    /// @notice Lifts the pause.
    function unpause() external;

    /// @notice Adds `token` to, or removes it from, the deposit allow-list.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Schedules setting the timelock to `newTimelock` (within [TIMELOCK_FLOOR, MAX_TIMELOCK]), executable
    /// after the timelock in force; returns the change's id.
    function scheduleTimelock(uint32 newTimelock) external returns (bytes32 id);

    /// @notice Sets the timelock of future proposals, once `scheduleTimelock(newTimelock)` has matured.
    function setTimelock(uint32 newTimelock) external;

    /// @notice Schedules granting (`grant`) or revoking `POSTER_ROLE` or `GUARDIAN_ROLE` for `account`,
    /// executable with `grantRole` / `revokeRole` after the timelock in force; returns the change's id.
    function scheduleRoleChange(bytes32 role, address account, bool grant) external returns (bytes32 id);

    /// @notice Cancels the scheduled change `id` (any guardian).
    function cancelScheduled(bytes32 id) external;

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


    /* ------------------------------------------------------------------ */
    /*                                 VIEWS                              */
    /* ------------------------------------------------------------------ */

    /// @notice The root claims use now, and its epoch (zero root and epoch 0 before any root matured, or while
    /// the active root is superseded and no newer root has matured).
    function claimableRoot() external view returns (bytes32 root, uint32 epoch);

    /// @notice The root a claim may also use for a short grace period after a newer root matured (zero if none).
    function graceRoot() external view returns (bytes32);

    /// @notice When the scheduled change `id` becomes executable (0 if not scheduled).
    function scheduledAt(bytes32 id) external view returns (uint256);

    /// @notice The id of the role change (`role`, `account`, `grant`).
    function roleChangeId(bytes32 role, address account, bool grant) external pure returns (bytes32);

    /// @notice The id of the timelock change to `newTimelock`.
    function timelockChangeId(uint32 newTimelock) external pure returns (bytes32);

    /// @notice How many accounts hold the guardian role (at least 1).
    function guardianCount() external view returns (uint256);

    /// @notice The proposed root that is not claimable yet (zeros if none).
    function pendingRoot() external view returns (bytes32 root, uint32 epoch, uint64 readyAt);

    /// @notice The last epoch ever proposed (vetoed ones included); the next must be higher, by at most one plus
    /// the seconds since that proposal.
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

    /// @notice Whether deposits and claims are paused.
    function paused() external view returns (bool);
}
