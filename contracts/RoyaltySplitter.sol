// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IRoyaltySplitter} from "./interfaces/IRoyaltySplitter.sol";
import {ClaimProof} from "./libraries/ClaimProof.sol";

/// @title RoyaltySplitter
/// @notice Settles royalties for licensed AI-training data. Buyers deposit license fees; each epoch an
/// off-chain service proposes a Merkle root of every account's *cumulative* allocation per token (creators'
/// royalties and buyers' refunds alike); after a timelock the root is claimable and accounts (or anyone on their
/// behalf) claim the difference between their cumulative allocation and what they already claimed.
/// @dev Leaf format (OpenZeppelin StandardMerkleTree, types ["address","address","uint256"]):
/// `keccak256(bytes.concat(keccak256(abi.encode(account, token, cumulativeAmount))))`, in a sorted-pair tree,
/// so proofs from OpenZeppelin's merkle-tree library and from merkletreejs with `sortPairs: true` both verify.
/// Native ETH is the token `NATIVE_TOKEN` (0xEeee…EEeE).
///
/// Lifecycle of a root: `proposeRoot` stores it as *pending* with `readyAt = now + timelock`. There is no
/// accept transaction: from `readyAt` on, claims use the pending root directly. Any guardian may veto it
/// before `readyAt`. A proposal made while a pending root is still maturing reverts (so frequent proposals can
/// never keep every root pending); a proposal made after it matured first promotes it to active.
///
/// Trust model (README "Trust model" has the table). Funds leave only through claims against a root that was
/// pending for at least `TIMELOCK_FLOOR` seconds (the deployment's timelock, which no role can lower) while at
/// least one guardian held its role: the timelock never goes below the floor, and every change of the timelock
/// or of who holds `POSTER_ROLE` / `GUARDIAN_ROLE` is first scheduled by the admin, announced by an event, and
/// executable only after the timelock in force when it was scheduled; any guardian may cancel it meanwhile, and
/// the last guardian cannot be removed. So the admin, the poster, or both together cannot make funds claimable
/// faster than a guardian can veto or pause. Guardians are trusted for liveness only: a rogue guardian can veto
/// every root, pause, and cancel every scheduled change (including its own removal), freezing the splitter, but
/// it cannot move funds.
///
/// Recovery from a bad root that matured: a guardian pauses (claims, deposits stop), the poster proposes a
/// correcting root while paused (a guardian may veto it as usual), and a proposal made while paused
/// *supersedes* the root claims used: after the admin unpauses, claims revert with
/// `RoyaltySplitterRootSuperseded` until a newer root matures. What was claimed before the pause is final;
/// every unclaimed amount can be re-allocated by the correction (within each token's deposits, and no total
/// below the bad root's, which the correction may redistribute among leaves).
///
/// @dev Warning: the contract checks each root's per-token total against deposits (solvency) and against the
/// claimable root's total (monotonic), but it cannot check that the leaves sum to the totals; a root whose
/// leaves over-allocate would let early claimants take more than the declared total, at most the token's
/// balance. The timelock, the guardians' veto and the published distribution file (`contentHash`) are the
/// defence. Tokens sent without `deposit` are not credited: no root total can include them, but a root whose
/// leaves over-allocate can pay them out.
contract RoyaltySplitter is IRoyaltySplitter, AccessControlDefaultAdminRules, ReentrancyGuardTransient, EIP712 {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ */
    /*                               CONSTANTS                            */
    /* ------------------------------------------------------------------ */

    /// @notice Sentinel token address standing for native ETH in deposits, totals, leaves and claims.
    address public constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    /// @notice Role allowed to propose roots (the off-chain publisher).
    bytes32 public constant POSTER_ROLE = keccak256("POSTER_ROLE");

    /// @notice Role allowed to veto pending roots, to pause, and to cancel scheduled changes.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Upper bound of the timelock, so an admin cannot freeze claims by an absurd delay.
    uint32 public constant MAX_TIMELOCK = 30 days;

    /// @notice How long after a root stops being the one claims use (because a newer root matured) a claim with
    /// its proof is still accepted, so a claim signed against it never races the promotion.
    uint32 public constant CLAIM_GRACE = 1 hours;

    /// @notice EIP-712 type hash of a `claimTo` authorisation.
    bytes32 public constant CLAIM_TO_TYPEHASH = keccak256(
        "ClaimTo(address account,address token,uint256 cumulativeAmount,address recipient,uint256 deadline)"
    );

    /// @dev First word of a scheduled timelock change's id (role changes start with the role).
    bytes32 private constant TIMELOCK_CHANGE = keccak256("TIMELOCK_CHANGE");

    /* ------------------------------------------------------------------ */
    /*                                STORAGE                             */
    /* ------------------------------------------------------------------ */

    /// @dev Layout of `_hot`, the only root-lifecycle slot a claim reads once the pending root has matured:
    /// bits 0-31 the pending root's `readyAt` (0: no pending root), bit 32 the pause flag, bits 33-34 the index
    /// of the active root in `_roots` (the pending root is the next index mod 3, the previous root the one after),
    /// bit 35 `SUPERSEDED_BIT` (a proposal made while paused superseded the active root: claims may not use it),
    /// bit 36 `PREVIOUS_OK_BIT` (the previous root was not superseded, so the grace period applies to it),
    /// bits 40-255 the pending root's top 216 bits (`root & ROOT_PREFIX_MASK`).
    uint256 private constant READY_AT_MASK = 0xffffffff;
    uint256 private constant PAUSED_BIT = 1 << 32;
    uint256 private constant ACTIVE_INDEX_SHIFT = 33;
    uint256 private constant SUPERSEDED_BIT = 1 << 35;
    uint256 private constant PREVIOUS_OK_BIT = 1 << 36;
    uint256 private constant ROOT_PREFIX_MASK = ~uint256(0xffffffffff);

    /// @dev Root-lifecycle fields that successful claims never read.
    /// @param lastEpoch The last proposed epoch; it is the pending root's epoch while a pending root exists.
    /// @param activeEpoch Epoch of the active root (0 before the first promotion).
    /// @param timelock Seconds from proposal to maturity, for future proposals.
    /// @param lastProposedAt Timestamp of the last proposal (deployment before the first), bounding epoch skips.
    /// @param activeReadyAt When the active root became claimable (start of the previous root's grace period).
    struct RootMeta {
        uint32 lastEpoch;
        uint32 activeEpoch;
        uint32 timelock;
        uint32 lastProposedAt;
        uint32 activeReadyAt;
    }

    /// @dev Per-token totals, packed in one slot. `pending` was set by the proposal of `epoch`; `active` is the
    /// total that was claimable when that proposal was made. Whether `pending` has since become claimable is
    /// resolved lazily from the root state and the discarded-epoch bitmap, so promotions touch no token slot.
    struct TokenTotals {
        uint112 active;
        uint112 pending;
        uint32 epoch;
    }

    /// @dev Per-token deposit book: allow-list flag and total deposited, one slot (one cold SLOAD per deposit).
    /// Deposits are bounded by `type(uint112).max`, the width of the totals, so every deposit can be allocated.
    struct TokenBook {
        bool allowed;
        uint112 deposited;
    }

    /// @notice The lowest timelock any role can set: the timelock the splitter was deployed with.
    uint32 public immutable TIMELOCK_FLOOR;

    /// @dev Hot root state, see the layout above.
    /// @dev Warning: once the pending root has matured, claims compare the top 216 bits of the computed root
    /// with `_hot` instead of reading the full root from `_roots` (one cold SLOAD, 2,100 gas, saved per claim).
    /// Forging a proof against it is a 216-bit second-preimage search on keccak256 (~2^216 work); a poster able
    /// to find two trees sharing a prefix (~2^108 work) gains nothing a poster cannot do by proposing a root.
    uint256 private _hot;

    /// @dev Cold root state.
    RootMeta private _meta;

    /// @dev The three full roots: active, pending (next index mod 3) and previous (the one after); bits 33-34 of
    /// `_hot` say which is active. A promotion only moves that index.
    bytes32[3] private _roots;

    /// @dev Deposit book per token.
    mapping(address token => TokenBook) private _books;

    /// @dev Root totals per token.
    mapping(address token => TokenTotals) private _totals;

    /// @dev Cumulative amount claimed per account and token.
    mapping(address account => mapping(address token => uint256)) private _claimed;

    /// @dev Bitmap of epochs whose pending root was vetoed (never claimable).
    mapping(uint256 word => uint256 bits) private _discardedEpochs;

    /// @dev When each scheduled change becomes executable (0: not scheduled).
    mapping(bytes32 id => uint256 readyAt) private _scheduled;

    /// @dev How many accounts hold `GUARDIAN_ROLE`; never 0 after construction.
    uint256 private _guardianCount;

    /* ------------------------------------------------------------------ */
    /*                              CONSTRUCTOR                           */
    /* ------------------------------------------------------------------ */

    /// @param initialAdminDelay Delay of a default-admin transfer (AccessControlDefaultAdminRules).
    /// @param admin The initial default admin.
    /// @param poster The initial holder of `POSTER_ROLE`.
    /// @param guardian The initial holder of `GUARDIAN_ROLE`.
    /// @param initialTimelock Seconds from proposal to maturity; also `TIMELOCK_FLOOR`, fixed for good.
    constructor(uint48 initialAdminDelay, address admin, address poster, address guardian, uint32 initialTimelock)
        AccessControlDefaultAdminRules(initialAdminDelay, admin)
        EIP712("RoyaltySplitter", "2")
    {
        if (poster == address(0) || guardian == address(0)) revert RoyaltySplitterZeroAddress();
        TIMELOCK_FLOOR = initialTimelock;
        _grantRole(POSTER_ROLE, poster);
        _grantRole(GUARDIAN_ROLE, guardian);
        _setTimelock(initialTimelock);
        _meta.lastProposedAt = uint32(block.timestamp);
    }

    /* ------------------------------------------------------------------ */
    /*                               DEPOSITS                             */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev For ERC-20s the credited amount is the balance increase (fee-on-transfer tokens credit what arrived).
    function deposit(bytes32 licenseId, address token, uint256 amount) external payable nonReentrant {
        _requireNotPaused();
        if (token == NATIVE_TOKEN) {
            if (msg.value != amount) revert RoyaltySplitterValueMismatch(amount, msg.value);
            _credit(licenseId, token, amount);
        } else {
            if (msg.value != 0) revert RoyaltySplitterValueMismatch(0, msg.value);
            _requireErc20Allowed(token);
            _pull(licenseId, token, amount);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev A failing `permit` is ignored (it may have been front-run with the same signature); the transfer
    /// then succeeds only if the allowance is in place.
    function depositWithPermit(
        bytes32 licenseId,
        address token,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        _requireNotPaused();
        _requireErc20Allowed(token);
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _pull(licenseId, token, amount);
    }

    /* ------------------------------------------------------------------ */
    /*                                 ROOTS                              */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev `epoch` is the publisher's epoch number: strictly above the last proposed epoch (vetoed ones
    /// included), so a publisher retrying a transaction can never post the same epoch twice and every root is
    /// identified on-chain by its epoch; and at most `lastEpoch + 1 + (seconds since the last proposal)`, so the
    /// publisher may skip epochs it could not post while no sequence of proposals and vetoes exhausts the 32-bit
    /// epoch space: the last epoch never exceeds the number of proposals plus the seconds since deployment
    /// (2^32 - 1 is over 68 years away at one proposal per second).
    /// Allowed while paused: that is how a matured bad root is corrected; such a proposal supersedes the root
    /// claims used (see the contract's NatSpec).
    /// `contentHash` (keccak of the published distribution file) is emitted, not stored.
    /// `totals` lists, sorted by strictly increasing token address, each token whose total this root sets;
    /// tokens left out keep the claimable root's total. Each total must be ≤ `totalDeposited(token)` and
    /// ≥ `rootTotal(token)`. A pending root that has matured is promoted first; while one is still maturing,
    /// the proposal reverts: skipping an epoch loses nothing because allocations are cumulative.
    function proposeRoot(bytes32 root, bytes32 contentHash, uint32 epoch, TokenTotal[] calldata totals)
        external
        onlyRole(POSTER_ROLE)
    {
        uint256 hot = _hot;
        RootMeta memory m = _meta;
        if (root == bytes32(0)) revert RoyaltySplitterZeroRoot();
        if (epoch <= m.lastEpoch) revert RoyaltySplitterEpochNotIncreasing(epoch, m.lastEpoch);
        uint256 maxEpoch = uint256(m.lastEpoch) + 1 + (block.timestamp - m.lastProposedAt);
        if (epoch > maxEpoch) revert RoyaltySplitterEpochTooFar(epoch, maxEpoch);

        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 3;
        uint256 pendingReadyAt = hot & READY_AT_MASK;
        uint256 paused = hot & PAUSED_BIT;
        // A proposal while paused supersedes the root claims used; a superseded active root stays so until a
        // newer root is promoted.
        uint256 flags = (hot & (SUPERSEDED_BIT | PREVIOUS_OK_BIT)) | (paused == 0 ? 0 : SUPERSEDED_BIT);
        if (pendingReadyAt != 0) {
            // Never discard a pending root: an unmatured one blocks the proposal (so it always gets to mature
            // unless a guardian vetoes it), a matured one is what claims already use and becomes the active root.
            if (block.timestamp < pendingReadyAt) {
                revert RoyaltySplitterRootPending(m.lastEpoch, uint64(pendingReadyAt));
            }
            flags = (hot & SUPERSEDED_BIT == 0 ? PREVIOUS_OK_BIT : 0) | (paused == 0 ? 0 : SUPERSEDED_BIT);
            activeIndex = _nextIndex(activeIndex);
            m.activeEpoch = m.lastEpoch;
            m.activeReadyAt = uint32(pendingReadyAt);
        }
        uint256 readyAt = block.timestamp + m.timelock;
        if (readyAt > READY_AT_MASK) revert RoyaltySplitterTimestampTooLarge(readyAt);
        _hot = (uint256(root) & ROOT_PREFIX_MASK) | flags | paused | (activeIndex << ACTIVE_INDEX_SHIFT) | readyAt;
        m.lastEpoch = epoch;
        m.lastProposedAt = uint32(block.timestamp);
        _meta = m;
        _roots[_nextIndex(activeIndex)] = root;

        address previousToken;
        for (uint256 i; i < totals.length; ++i) {
            address token = totals[i].token;
            uint256 total = totals[i].total;
            if (token <= previousToken) revert RoyaltySplitterTotalsNotSorted(token);
            previousToken = token;
            uint256 deposited = _books[token].deposited;
            if (total > deposited) revert RoyaltySplitterInsolventRoot(token, total, deposited);
            TokenTotals memory record = _totals[token];
            // The proposal context: the promotion above is done and the new pending epoch is above record.epoch.
            uint256 claimable = _promotedBefore(record.epoch, m.activeEpoch) ? record.pending : record.active;
            if (total < claimable) revert RoyaltySplitterTotalDecreased(token, total, claimable);
            // Both fit: total ≤ deposited ≤ type(uint112).max, and claimable ≤ total.
            _totals[token] = TokenTotals(uint112(claimable), uint112(total), epoch);
        }
        emit RootProposed(epoch, root, contentHash, uint64(readyAt), totals);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Naming the epoch stops a veto from hitting a later root the guardian has not reviewed. Allowed while
    /// paused. A vetoed correction leaves the superseded root unusable for claims.
    function vetoRoot(uint32 epoch) external onlyRole(GUARDIAN_ROLE) {
        uint256 hot = _hot;
        uint256 pendingReadyAt = hot & READY_AT_MASK;
        if (pendingReadyAt == 0 || epoch != _meta.lastEpoch) revert RoyaltySplitterNotPendingEpoch(epoch);
        if (block.timestamp >= pendingReadyAt) revert RoyaltySplitterRootAlreadyMatured(epoch, uint64(pendingReadyAt));
        _hot = hot & ~READY_AT_MASK;
        _discard(epoch);
        emit RootVetoed(epoch, _roots[_nextIndex((hot >> ACTIVE_INDEX_SHIFT) & 3)], msg.sender);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev A pending root keeps maturing while paused; a guardian vetoes it separately if needed.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        uint256 hot = _hot;
        if (hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
        _hot = hot | PAUSED_BIT;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Only the admin lifts a pause. Unpausing never reopens claims against a root that a proposal made
    /// while paused superseded.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint256 hot = _hot;
        if (hot & PAUSED_BIT == 0) revert RoyaltySplitterNotPaused();
        _hot = hot & ~PAUSED_BIT;
        emit Unpaused(msg.sender);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Removing a token only stops new deposits of it; claims of it continue.
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert RoyaltySplitterZeroAddress();
        _books[token].allowed = allowed;
        emit TokenAllowedSet(token, allowed);
    }

    /* ------------------------------------------------------------------ */
    /*                           SCHEDULED CHANGES                        */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    function scheduleTimelock(uint32 newTimelock) external onlyRole(DEFAULT_ADMIN_ROLE) returns (bytes32 id) {
        _checkTimelock(newTimelock);
        id = timelockChangeId(newTimelock);
        emit TimelockChangeScheduled(id, newTimelock, _schedule(id));
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Needs the matching `scheduleTimelock` to have matured; applies to proposals made after it, a pending
    /// root keeps its `readyAt`.
    function setTimelock(uint32 newTimelock) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _consume(timelockChangeId(newTimelock));
        _setTimelock(newTimelock);
    }

    /// @inheritdoc IRoyaltySplitter
    function scheduleRoleChange(bytes32 role, address account, bool grant)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (bytes32 id)
    {
        if (!_isDelayedRole(role)) revert RoyaltySplitterRoleNotDelayed(role);
        if (account == address(0)) revert RoyaltySplitterZeroAddress();
        id = roleChangeId(role, account, grant);
        emit RoleChangeScheduled(id, role, account, grant, _schedule(id));
    }

    /// @inheritdoc IRoyaltySplitter
    function cancelScheduled(bytes32 id) external onlyRole(GUARDIAN_ROLE) {
        if (_scheduled[id] == 0) revert RoyaltySplitterNotScheduled(id);
        delete _scheduled[id];
        emit ScheduledChangeCancelled(id, msg.sender);
    }

    /// @notice Grants `role` to `account`; for `POSTER_ROLE` and `GUARDIAN_ROLE` only once the matching
    /// `scheduleRoleChange(role, account, true)` has matured (and it is consumed).
    function grantRole(bytes32 role, address account) public override {
        if (_isDelayedRole(role)) _consume(roleChangeId(role, account, true));
        super.grantRole(role, account);
    }

    /// @notice Revokes `role` from `account`; for `POSTER_ROLE` and `GUARDIAN_ROLE` only once the matching
    /// `scheduleRoleChange(role, account, false)` has matured (and it is consumed). The last guardian stays.
    function revokeRole(bytes32 role, address account) public override {
        if (_isDelayedRole(role)) _consume(roleChangeId(role, account, false));
        super.revokeRole(role, account);
    }

    /// @inheritdoc IRoyaltySplitter
    function scheduledAt(bytes32 id) external view returns (uint256) {
        return _scheduled[id];
    }

    /// @inheritdoc IRoyaltySplitter
    function roleChangeId(bytes32 role, address account, bool grant) public pure returns (bytes32) {
        return keccak256(abi.encode(role, account, grant));
    }

    /// @inheritdoc IRoyaltySplitter
    function timelockChangeId(uint32 newTimelock) public pure returns (bytes32) {
        return keccak256(abi.encode(TIMELOCK_CHANGE, newTimelock));
    }

    /// @inheritdoc IRoyaltySplitter
    function guardianCount() external view returns (uint256) {
        return _guardianCount;
    }

    /* ------------------------------------------------------------------ */
    /*                                CLAIMS                              */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev Anyone may submit it; the payout always goes to `account`. A proof of the root claims used until a
    /// newer root matured is accepted for `CLAIM_GRACE` after that (see `_graceRoot`).
    function claim(address account, address token, uint256 cumulativeAmount, bytes32[] calldata proof) external {
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        _claim(expected, mask, account, token, cumulativeAmount, proof, account, true);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Entries with nothing left to claim are skipped rather than reverting the batch, so a batch cannot be
    /// griefed by someone claiming one of its entries first. Invalid proofs still revert the whole batch.
    function claimBatch(ClaimRequest[] calldata requests) external {
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        for (uint256 i; i < requests.length; ++i) {
            ClaimRequest calldata q = requests[i];
            _claim(expected, mask, q.account, q.token, q.cumulativeAmount, q.proof, q.account, false);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev One multiproof instead of one proof per token: with the canonical (account, token) leaf order an
    /// account's leaves are adjacent, so their paths share all but the lowest levels. The proof is checked
    /// with `ClaimProof.processMultiProof` (OpenZeppelin's `MerkleProof.processMultiProofCalldata` with packed
    /// flags; it reverts `MerkleProofInvalidMultiproof` when flags and lengths do not fit together) against the
    /// same roots as `claim`; a malformed multiproof may revert with that error before a pause or a missing root is
    /// reported. An empty `tokens` list with a one-hash proof equal to the root pays nothing (OpenZeppelin's empty
    /// set). Then, as in `claimBatch`, each token is paid in order (effects before the transfer) and tokens with
    /// nothing left are skipped, so a front-run claim of one token cannot make the others revert.
    function claimMultiproof(
        address account,
        address[] calldata tokens,
        uint256[] calldata cumulativeAmounts,
        bytes32[] calldata proof,
        uint256 proofFlags
    ) external {
        if (tokens.length != cumulativeAmounts.length) {
            revert RoyaltySplitterLengthMismatch(tokens.length, cumulativeAmounts.length);
        }
        // Root first, then the claimable root: fewer values alive at once (see `_multiproofRoot`).
        bytes32 computed = _multiproofRoot(account, tokens, cumulativeAmounts, proof, proofFlags);
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        if ((uint256(computed ^ expected) & mask) != 0 && computed != _graceRoot()) {
            if (expected == bytes32(0)) revert RoyaltySplitterNoClaimableRoot();
            revert RoyaltySplitterInvalidMultiproof(account);
        }
        // Every leaf is proven: pay each through `_claim` with mask 0 (its root comparison always passes) and an
        // empty proof, so the claim path keeps one copy of the payout code.
        for (uint256 i; i < tokens.length; ++i) {
            _claim(0, 0, account, tokens[i], cumulativeAmounts[i], proof[0:0], account, false);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev The signature is EIP-712 `ClaimTo(account, token, cumulativeAmount, recipient, deadline)` under
    /// the domain ("RoyaltySplitter", "2", chainid, this), checked with SignatureChecker (ECDSA for EOAs,
    /// ERC-1271 for contract accounts). There is no nonce: the cumulative amount already stops a replay from
    /// paying twice (once `claimed` reaches it, nothing is left), so a `claim` by someone else (which pays
    /// `account` itself) never invalidates any other authorisation. To withdraw an unused authorisation, the
    /// account claims the amount itself.
    function claimTo(
        address account,
        address token,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        address recipient,
        uint256 deadline,
        bytes calldata signature
    ) external {
        if (block.timestamp > deadline) revert RoyaltySplitterSignatureExpired(deadline);
        if (recipient == address(0) || recipient == address(this)) revert RoyaltySplitterInvalidRecipient(recipient);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(CLAIM_TO_TYPEHASH, account, token, cumulativeAmount, recipient, deadline))
        );
        if (!SignatureChecker.isValidSignatureNow(account, digest, signature)) {
            revert RoyaltySplitterInvalidSignature(account);
        }
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        _claim(expected, mask, account, token, cumulativeAmount, proof, recipient, true);
        emit ClaimRedirected(account, token, recipient);
    }

    /* ------------------------------------------------------------------ */
    /*                                 VIEWS                              */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev The root's `contentHash` is in the `RootProposed` log indexed by the returned epoch.
    function claimableRoot() external view returns (bytes32 root, uint32 epoch) {
        uint256 hot = _hot;
        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 3;
        if (_matured(hot)) return (_roots[_nextIndex(activeIndex)], _meta.lastEpoch);
        if (hot & SUPERSEDED_BIT != 0) return (bytes32(0), 0);
        return (_roots[activeIndex], _meta.activeEpoch);
    }

    /// @inheritdoc IRoyaltySplitter
    function pendingRoot() external view returns (bytes32 root, uint32 epoch, uint64 readyAt) {
        uint256 hot = _hot;
        readyAt = uint64(hot & READY_AT_MASK);
        if (readyAt != 0 && block.timestamp < readyAt) {
            return (_roots[_nextIndex((hot >> ACTIVE_INDEX_SHIFT) & 3)], _meta.lastEpoch, readyAt);
        }
        return (bytes32(0), 0, 0);
    }

    /// @inheritdoc IRoyaltySplitter
    function graceRoot() external view returns (bytes32) {
        return _graceRoot();
    }

    /// @inheritdoc IRoyaltySplitter
    function lastProposedEpoch() external view returns (uint32) {
        return _meta.lastEpoch;
    }

    /// @inheritdoc IRoyaltySplitter
    function claimed(address account, address token) external view returns (uint256) {
        return _claimed[account][token];
    }

    /// @inheritdoc IRoyaltySplitter
    function totalDeposited(address token) external view returns (uint256) {
        return _books[token].deposited;
    }

    /// @inheritdoc IRoyaltySplitter
    function isTokenAllowed(address token) external view returns (bool) {
        return _books[token].allowed;
    }

    /// @inheritdoc IRoyaltySplitter
    function rootTotal(address token) public view returns (uint256) {
        uint256 hot = _hot;
        RootMeta memory m = _meta;
        TokenTotals memory record = _totals[token];
        if (hot & READY_AT_MASK != 0 && record.epoch == m.lastEpoch) {
            return _matured(hot) ? record.pending : record.active;
        }
        return _promotedBefore(record.epoch, m.activeEpoch) ? record.pending : record.active;
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev A token the pending root does not list carries the claimable total over.
    function pendingRootTotal(address token) external view returns (uint256) {
        uint256 hot = _hot;
        if (hot & READY_AT_MASK == 0) return 0; // nothing proposed since the last promotion or veto
        if (_matured(hot)) return 0; // the pending root is the claimable one now
        TokenTotals memory record = _totals[token];
        return record.epoch == _meta.lastEpoch ? record.pending : rootTotal(token);
    }

    /// @inheritdoc IRoyaltySplitter
    function timelock() external view returns (uint32) {
        return _meta.timelock;
    }

    /// @inheritdoc IRoyaltySplitter
    function paused() external view returns (bool) {
        return _hot & PAUSED_BIT != 0;
    }

    /* ------------------------------------------------------------------ */
    /*                               INTERNAL                             */
    /* ------------------------------------------------------------------ */

    /// @dev What claims compare the computed root with: the matured pending root's prefix (read from `_hot`,
    /// masked to its top 216 bits), or else the full active root. A claim is valid iff
    /// `(computedRoot ^ expected) & mask == 0` (or the computed root is `_graceRoot()`);
    /// `expected` is zero before any root matured.
    function _claimableRootForClaims() private view returns (bytes32 expected, uint256 mask) {
        uint256 hot = _hot;
        if (hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
        if (_matured(hot)) return (bytes32(hot), ROOT_PREFIX_MASK);
        if (hot & SUPERSEDED_BIT != 0) revert RoyaltySplitterRootSuperseded();
        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 3;
        assembly ("memory-safe") {
            expected := sload(add(_roots.slot, activeIndex))
        }
        // A zero `expected` (no root matured yet) matches no computed root; the failure path reports it.
        return (expected, type(uint256).max);
    }

    /// @dev The root a claim may also use: the one claims used until a newer root matured less than
    /// `CLAIM_GRACE` ago, unless a proposal made while paused superseded it (then none: a correction never
    /// races). Only a failed comparison reads it, so successful claims against the current root never pay for it.
    /// Why it cannot be abused: that root was claimable until the promotion anyway, and `claimed` is cumulative,
    /// so a leaf pays at most the larger of its two cumulative amounts, never both; the only roots that lower a
    /// leaf are corrections, which are proposed while paused and so get no grace.
    function _graceRoot() private view returns (bytes32 root) {
        uint256 hot = _hot;
        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 3;
        uint256 index;
        uint256 until;
        if (_matured(hot)) {
            if (hot & SUPERSEDED_BIT != 0) return bytes32(0);
            (index, until) = (activeIndex, (hot & READY_AT_MASK) + CLAIM_GRACE);
        } else {
            // A superseded active root takes the previous one with it: neither pays until a newer root matures.
            if (hot & (SUPERSEDED_BIT | PREVIOUS_OK_BIT) != PREVIOUS_OK_BIT) return bytes32(0);
            (index, until) = (_nextIndex(_nextIndex(activeIndex)), uint256(_meta.activeReadyAt) + CLAIM_GRACE);
        }
        if (block.timestamp >= until) return bytes32(0);
        return _roots[index];
    }

    /// @dev Verifies the leaf, records the new cumulative amount, then pays (checks-effects-interactions).
    /// `strict` makes "nothing to claim" revert; batches pass false and skip such entries.
    /// @dev Warning: `mask` 0 accepts any leaf; only `claimMultiproof` passes it, for leaves its multiproof proved.
    function _claim(
        bytes32 expected,
        uint256 mask,
        address account,
        address token,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        address recipient,
        bool strict
    ) private {
        bytes32 computed = ClaimProof.processProof(proof, ClaimProof.leaf(account, token, cumulativeAmount));
        if ((uint256(computed ^ expected) & mask) != 0 && computed != _graceRoot()) {
            if (expected == bytes32(0)) revert RoyaltySplitterNoClaimableRoot();
            revert RoyaltySplitterInvalidProof(account, token, cumulativeAmount);
        }
        // The slot of `_claimed[account][token]` (Solidity's mapping layout), hashed once: the compiler hashes
        // it again for the write (about 50 gas).
        uint256 slot;
        uint256 already;
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, _claimed.slot)
            mstore(0x20, keccak256(0x00, 0x40))
            mstore(0x00, token)
            slot := keccak256(0x00, 0x40)
            already := sload(slot)
        }
        if (cumulativeAmount <= already) {
            if (strict) revert RoyaltySplitterNothingToClaim(account, token, cumulativeAmount, already);
            return;
        }
        assembly ("memory-safe") {
            sstore(slot, cumulativeAmount)
        }
        // Cannot underflow: `cumulativeAmount > already` was just checked.
        unchecked {
            _pay(token, recipient, cumulativeAmount - already);
        }
        emit Claimed(account, token, cumulativeAmount);
    }

    /// @dev The root that the multiproof leads to from `account`'s leaves of `tokens` (kept apart from
    /// `claimMultiproof` so that no function needs more stack than the EVM reaches, which would make the compiler
    /// reserve memory and cost every other function gas).
    function _multiproofRoot(
        address account,
        address[] calldata tokens,
        uint256[] calldata cumulativeAmounts,
        bytes32[] calldata proof,
        uint256 proofFlags
    ) private pure returns (bytes32) {
        return ClaimProof.processMultiProof(proof, proofFlags, ClaimProof.leaves(account, tokens, cumulativeAmounts));
    }

    /// @dev Sends `amount` of `token` (or native ETH) to `to`. The native call forwards all gas (a contract
    /// wallet may need it; a recipient burning gas only makes its own payout dear) and copies no return data, so
    /// a recipient returning a huge buffer costs the caller nothing for it.
    function _pay(address token, address to, uint256 amount) private {
        if (token == NATIVE_TOKEN) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
            if (!ok) revert RoyaltySplitterNativeTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Reverts unless `token` is an allow-listed ERC-20 (the native sentinel has no code to pull from).
    function _requireErc20Allowed(address token) private view {
        if (token == NATIVE_TOKEN || !_books[token].allowed) revert RoyaltySplitterTokenNotAllowed(token);
    }

    /// @dev Pulls an ERC-20 deposit and credits the balance increase.
    function _pull(bytes32 licenseId, address token, uint256 amount) private {
        if (amount == 0) revert RoyaltySplitterZeroAmount();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        _credit(licenseId, token, IERC20(token).balanceOf(address(this)) - balanceBefore);
    }

    /// @dev Books `amount` of `token` as deposited for `licenseId` by the caller; the running total is bounded by
    /// `type(uint112).max`, the width of root totals, so every deposited unit can be allocated.
    function _credit(bytes32 licenseId, address token, uint256 amount) private {
        TokenBook storage book = _books[token];
        if (!book.allowed) revert RoyaltySplitterTokenNotAllowed(token);
        if (amount == 0) revert RoyaltySplitterZeroAmount();
        uint256 deposited = book.deposited + amount;
        if (deposited > type(uint112).max) revert RoyaltySplitterAmountTooLarge(token, deposited);
        book.deposited = uint112(deposited);
        emit Deposited(licenseId, msg.sender, token, amount);
    }

    /// @dev Records that `id` becomes executable after the timelock in force; returns that time.
    function _schedule(bytes32 id) private returns (uint64 readyAt) {
        if (_scheduled[id] != 0) revert RoyaltySplitterAlreadyScheduled(id);
        readyAt = uint64(block.timestamp + _meta.timelock);
        _scheduled[id] = readyAt;
    }

    /// @dev Consumes the scheduled change `id`; reverts unless it was scheduled and has matured.
    function _consume(bytes32 id) private {
        uint256 readyAt = _scheduled[id];
        if (readyAt == 0) revert RoyaltySplitterNotScheduled(id);
        if (block.timestamp < readyAt) revert RoyaltySplitterScheduledTooEarly(id, uint64(readyAt));
        delete _scheduled[id];
    }

    /// @dev Roles whose grants and revocations are delayed.
    function _isDelayedRole(bytes32 role) private pure returns (bool) {
        return role == POSTER_ROLE || role == GUARDIAN_ROLE;
    }

    /// @dev Counts guardians.
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == GUARDIAN_ROLE) ++_guardianCount;
    }

    /// @dev Counts guardians; the last one cannot leave (by revocation or renouncing), so a root can always be
    /// vetoed by someone.
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == GUARDIAN_ROLE) {
            if (_guardianCount == 1) revert RoyaltySplitterLastGuardian(account);
            --_guardianCount;
        }
    }

    /// @dev Reverts unless `newTimelock` lies in [TIMELOCK_FLOOR, MAX_TIMELOCK].
    function _checkTimelock(uint32 newTimelock) private view {
        if (newTimelock > MAX_TIMELOCK) revert RoyaltySplitterTimelockTooLong(newTimelock, MAX_TIMELOCK);
        if (newTimelock < TIMELOCK_FLOOR) revert RoyaltySplitterTimelockBelowFloor(newTimelock, TIMELOCK_FLOOR);
    }

    /// @dev Sets the timelock of future proposals.
    function _setTimelock(uint32 newTimelock) private {
        _checkTimelock(newTimelock);
        uint32 previous = _meta.timelock;
        _meta.timelock = newTimelock;
        emit TimelockSet(previous, newTimelock);
    }

    /// @dev Marks `epoch` as never claimable (vetoed).
    function _discard(uint32 epoch) private {
        _discardedEpochs[epoch >> 8] |= 1 << (epoch & 0xff);
    }

    /// @dev Reverts while paused.
    function _requireNotPaused() private view {
        if (_hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
    }

    /// @dev The index after `index` in the ring of three roots.
    function _nextIndex(uint256 index) private pure returns (uint256) {
        return index == 2 ? 0 : index + 1;
    }

    /// @dev Whether the pending root exists and has matured, from the hot slot.
    /// `readyAt != 0 && block.timestamp >= readyAt` as one comparison: `readyAt - 1` wraps to the largest uint256
    /// when `readyAt` is 0 (no pending root), which no timestamp exceeds; otherwise it is `readyAt - 1 < now`.
    function _matured(uint256 hot) private view returns (bool) {
        unchecked {
            return (hot & READY_AT_MASK) - 1 < block.timestamp;
        }
    }

    /// @dev Whether the proposal of `epoch` was promoted, given the active epoch, for an epoch that is not
    /// the current pending one. Epochs up to the active one were promoted unless discarded.
    function _promotedBefore(uint32 epoch, uint32 activeEpoch) private view returns (bool) {
        if (epoch == activeEpoch) return true;
        return epoch < activeEpoch && (_discardedEpochs[epoch >> 8] >> (epoch & 0xff)) & 1 == 0;
    }
}
