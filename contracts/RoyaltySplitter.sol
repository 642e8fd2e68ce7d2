// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IRoyaltySplitter} from "./interfaces/IRoyaltySplitter.sol";
import {ClaimProof} from "./libraries/ClaimProof.sol";

/// @title RoyaltySplitter
/// @notice Settles royalties for licensed AI-training data. Buyers deposit license fees; each epoch an
/// off-chain service proposes a Merkle root of every creator's *cumulative* allocation per token; after a
/// timelock the root is claimable and creators (or anyone on their behalf) claim the difference between
/// their cumulative allocation and what they already claimed.
/// @dev Leaf format (OpenZeppelin StandardMerkleTree, types ["address","address","uint256"]):
/// `keccak256(bytes.concat(keccak256(abi.encode(account, token, cumulativeAmount))))`, in a sorted-pair tree,
/// so proofs from OpenZeppelin's merkle-tree library and from merkletreejs with `sortPairs: true` both verify.
/// Native ETH is the token `NATIVE_TOKEN` (0xEeee…EEeE).
///
/// Lifecycle of a root: `proposeRoot` stores it as *pending* with `readyAt = now + timelock`. There is no
/// accept transaction: from `readyAt` on, claims use the pending root directly. The guardian may veto it
/// before `readyAt`. A proposal made while a pending root is still maturing reverts (so frequent proposals can
/// never keep every root pending, the flaw of distributors whose new proposal resets the pending one); a
/// proposal made after it matured first promotes it to active.
///
/// Roles: the default admin (two-step, delayed transfer) manages roles, the timelock, the token allow-list
/// and lifts a pause; the poster proposes roots; the guardian vetoes and pauses. No function lets any role
/// move deposited funds: tokens leave only through proofs of a claimable root, to the leaf's account or to
/// a recipient the account signed for.
///
/// @dev Warning: the contract checks each root's per-token total against deposits (solvency) and against the
/// claimable root's total (monotonic), but it cannot check that the leaves sum to the totals; a root whose
/// leaves over-allocate would let early claimants take more than the declared total, at most the token's
/// balance. The timelock, the guardian's veto and the published distribution file (`contentHash`) are the
/// defence. Tokens sent without `deposit` are not credited and cannot be recovered.
contract RoyaltySplitter is IRoyaltySplitter, AccessControlDefaultAdminRules, ReentrancyGuardTransient, EIP712, Nonces {
    using SafeERC20 for IERC20;

    /* ------------------------------------------------------------------ */
    /*                               CONSTANTS                            */
    /* ------------------------------------------------------------------ */

    /// @notice Sentinel token address standing for native ETH in deposits, totals, leaves and claims.
    address public constant NATIVE_TOKEN = 0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE;

    /// @notice Role allowed to propose roots (the off-chain publisher).
    bytes32 public constant POSTER_ROLE = keccak256("POSTER_ROLE");

    /// @notice Role allowed to veto pending roots and to pause.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Upper bound of the timelock, so an admin cannot freeze claims by an absurd delay.
    uint32 public constant MAX_TIMELOCK = 30 days;

    /// @notice EIP-712 type hash of a `claimTo` authorisation.
    bytes32 public constant CLAIM_TO_TYPEHASH = keccak256(
        "ClaimTo(address account,address token,uint256 cumulativeAmount,address recipient,uint256 nonce,uint256 deadline)"
    );

    /* ------------------------------------------------------------------ */
    /*                                STORAGE                             */
    /* ------------------------------------------------------------------ */

    /// @dev Layout of `_hot`, the only root-lifecycle slot a claim reads once the pending root has matured:
    /// bits 0-31 the pending root's `readyAt` (0: no pending root), bit 32 the pause flag, bit 33 the index of
    /// the active root in `_roots`, bits 40-255 the pending root's top 216 bits (`root & ROOT_PREFIX_MASK`).
    uint256 private constant READY_AT_MASK = 0xffffffff;
    uint256 private constant PAUSED_BIT = 1 << 32;
    uint256 private constant ACTIVE_INDEX_SHIFT = 33;
    uint256 private constant ROOT_PREFIX_MASK = ~uint256(0xffffffffff);

    /// @dev Root-lifecycle fields that claims never read.
    /// @param lastEpoch The last proposed epoch; it is the pending root's epoch while a pending root exists.
    /// @param activeEpoch Epoch of the active root (0 before the first promotion).
    /// @param timelock Seconds from proposal to maturity, for future proposals.
    struct RootMeta {
        uint32 lastEpoch;
        uint32 activeEpoch;
        uint32 timelock;
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
    struct TokenBook {
        bool allowed;
        uint248 deposited;
    }

    /// @dev Hot root state, see the layout above.
    /// @dev Warning: once the pending root has matured, claims compare the top 216 bits of the computed root
    /// with `_hot` instead of reading the full root from `_roots` (one cold SLOAD, 2,100 gas, saved per claim).
    /// Forging a proof against it is a 216-bit second-preimage search on keccak256 (~2^216 work); a poster able
    /// to find two trees sharing a prefix (~2^108 work) gains nothing a poster cannot do by proposing a root.
    uint256 private _hot;

    /// @dev Cold root state.
    RootMeta private _meta;

    /// @dev The two full roots; bit 33 of `_hot` says which is active, the other one is (or was) pending.
    /// A promotion only flips that bit.
    bytes32[2] private _roots;

    /// @dev Deposit book per token.
    mapping(address token => TokenBook) private _books;

    /// @dev Root totals per token.
    mapping(address token => TokenTotals) private _totals;

    /// @dev Cumulative amount claimed per account and token.
    mapping(address account => mapping(address token => uint256)) private _claimed;

    /// @dev Bitmap of epochs whose pending root was vetoed (never claimable).
    mapping(uint256 word => uint256 bits) private _discardedEpochs;

    /* ------------------------------------------------------------------ */
    /*                              CONSTRUCTOR                           */
    /* ------------------------------------------------------------------ */

    /// @param initialAdminDelay Delay of a default-admin transfer (AccessControlDefaultAdminRules).
    /// @param admin The initial default admin.
    /// @param poster The initial holder of `POSTER_ROLE`.
    /// @param guardian The initial holder of `GUARDIAN_ROLE`.
    /// @param initialTimelock Seconds from proposal to maturity.
    constructor(uint48 initialAdminDelay, address admin, address poster, address guardian, uint32 initialTimelock)
        AccessControlDefaultAdminRules(initialAdminDelay, admin)
        EIP712("RoyaltySplitter", "1")
    {
        if (poster == address(0) || guardian == address(0)) revert RoyaltySplitterZeroAddress();
        _grantRole(POSTER_ROLE, poster);
        _grantRole(GUARDIAN_ROLE, guardian);
        _setTimelock(initialTimelock);
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
    /// @dev `epoch` is the publisher's epoch number and must be strictly above every earlier proposal's
    /// (vetoed ones included): a publisher retrying a transaction can never post the same epoch
    /// twice, and every root is identified on-chain by its epoch (RootProposed is indexed by it). It lives in the
    /// slot that holds the active epoch and the timelock, which every proposal reads and writes anyway, so it
    /// costs no extra storage slot.
    /// `contentHash` (keccak of the published distribution file) is emitted, not stored: auditors read it from
    /// the `RootProposed` log of the claimable epoch, and storing it would add ~5,000 gas to every proposal.
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
        if (hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
        if (root == bytes32(0)) revert RoyaltySplitterZeroRoot();
        if (epoch <= m.lastEpoch) revert RoyaltySplitterEpochNotIncreasing(epoch, m.lastEpoch);

        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 1;
        uint256 pendingReadyAt = hot & READY_AT_MASK;
        if (pendingReadyAt != 0) {
            // Never discard a pending root: an unmatured one blocks the proposal (so it always gets to mature
            // unless the guardian vetoes it), a matured one is what claims already use and becomes the active
            // root by flipping the index.
            if (block.timestamp < pendingReadyAt) {
                revert RoyaltySplitterRootPending(m.lastEpoch, uint64(pendingReadyAt));
            }
            activeIndex ^= 1;
            m.activeEpoch = m.lastEpoch;
        }
        uint256 readyAt = block.timestamp + m.timelock;
        if (readyAt > READY_AT_MASK) revert RoyaltySplitterTimestampTooLarge(readyAt);
        _hot = (uint256(root) & ROOT_PREFIX_MASK) | (activeIndex << ACTIVE_INDEX_SHIFT) | readyAt;
        m.lastEpoch = epoch;
        _meta = m;
        _roots[activeIndex ^ 1] = root;

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
            if (total > type(uint112).max) revert RoyaltySplitterAmountTooLarge(token, total);
            _totals[token] = TokenTotals(uint112(claimable), uint112(total), epoch);
        }
        emit RootProposed(epoch, root, contentHash, uint64(readyAt), totals);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Naming the epoch stops a veto from hitting a later root the guardian has not reviewed.
    function vetoRoot(uint32 epoch) external onlyRole(GUARDIAN_ROLE) {
        uint256 hot = _hot;
        uint256 pendingReadyAt = hot & READY_AT_MASK;
        if (pendingReadyAt == 0 || epoch != _meta.lastEpoch) revert RoyaltySplitterNotPendingEpoch(epoch);
        if (block.timestamp >= pendingReadyAt) revert RoyaltySplitterRootAlreadyMatured(epoch, uint64(pendingReadyAt));
        _hot = hot & ~READY_AT_MASK;
        _discard(epoch);
        emit RootVetoed(epoch, _roots[((hot >> ACTIVE_INDEX_SHIFT) & 1) ^ 1], msg.sender);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev A pending root keeps maturing while paused; the guardian vetoes it separately if needed.
    function pause() external onlyRole(GUARDIAN_ROLE) {
        uint256 hot = _hot;
        if (hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
        _hot = hot | PAUSED_BIT;
        emit Paused(msg.sender);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Only the admin lifts a pause, so a compromised guardian can at worst freeze the splitter until
    /// the admin revokes it.
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

    /// @inheritdoc IRoyaltySplitter
    /// @dev Applies to proposals made after the change; a pending root keeps its `readyAt`.
    function setTimelock(uint32 newTimelock) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTimelock(newTimelock);
    }

    /* ------------------------------------------------------------------ */
    /*                                CLAIMS                              */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev Anyone may submit it; the payout always goes to `account`.
    function claim(address account, address token, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        nonReentrant
    {
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        _claim(expected, mask, account, token, cumulativeAmount, proof, account, true);
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev Entries with nothing left to claim are skipped rather than reverting the batch, so a batch cannot be
    /// griefed by someone claiming one of its entries first. Invalid proofs still revert the whole batch.
    function claimBatch(ClaimRequest[] calldata requests) external nonReentrant {
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
    /// same root as `claim`; a malformed multiproof may revert with that error before a pause or a missing root is
    /// reported. An empty `tokens` list with a one-hash proof equal to the root pays nothing (OpenZeppelin's empty
    /// set). Then, as in `claimBatch`, each token is paid in order (effects before the transfer) and tokens with
    /// nothing left are skipped, so a front-run claim of one token cannot make the others revert. Gas: ~215,000
    /// for a first claim of 3 tokens in a 65,536-leaf tree, against ~231,600 with `claimBatch`.
    function claimMultiproof(
        address account,
        address[] calldata tokens,
        uint256[] calldata cumulativeAmounts,
        bytes32[] calldata proof,
        uint256 proofFlags
    ) external nonReentrant {
        if (tokens.length != cumulativeAmounts.length) {
            revert RoyaltySplitterLengthMismatch(tokens.length, cumulativeAmounts.length);
        }
        // Root first, then the claimable root: fewer values alive at once (see `_multiproofRoot`).
        bytes32 computed = _multiproofRoot(account, tokens, cumulativeAmounts, proof, proofFlags);
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        if ((uint256(computed ^ expected) & mask) != 0) revert RoyaltySplitterInvalidMultiproof(account);
        // Every leaf is proven: pay each through `_claim` with mask 0 (its root comparison always passes) and an
        // empty proof, so the claim path keeps one copy of the payout code (a second copy cost `claim` ~26 gas).
        for (uint256 i; i < tokens.length; ++i) {
            _claim(0, 0, account, tokens[i], cumulativeAmounts[i], proof[0:0], account, false);
        }
    }

    /// @inheritdoc IRoyaltySplitter
    /// @dev The signature is EIP-712 `ClaimTo(account, token, cumulativeAmount, recipient, nonce, deadline)` under
    /// the domain ("RoyaltySplitter", "1", chainid, this), checked with SignatureChecker (ECDSA for EOAs,
    /// ERC-1271 for contract accounts). `nonce` is `nonces(account)` and is consumed, so a signature works once.
    function claimTo(
        address account,
        address token,
        uint256 cumulativeAmount,
        bytes32[] calldata proof,
        address recipient,
        uint256 deadline,
        bytes calldata signature
    ) external nonReentrant {
        if (block.timestamp > deadline) revert RoyaltySplitterSignatureExpired(deadline);
        if (recipient == address(0)) revert RoyaltySplitterZeroAddress();
        bytes32 digest = _claimToDigest(account, token, cumulativeAmount, recipient, deadline);
        if (!SignatureChecker.isValidSignatureNow(account, digest, signature)) {
            revert RoyaltySplitterInvalidSignature(account);
        }
        (bytes32 expected, uint256 mask) = _claimableRootForClaims();
        _claim(expected, mask, account, token, cumulativeAmount, proof, recipient, true);
        emit ClaimRedirected(account, token, recipient);
    }

    /// @inheritdoc IRoyaltySplitter
    function invalidateNonce() external {
        emit NonceInvalidated(msg.sender, _useNonce(msg.sender));
    }

    /* ------------------------------------------------------------------ */
    /*                                 VIEWS                              */
    /* ------------------------------------------------------------------ */

    /// @inheritdoc IRoyaltySplitter
    /// @dev The root's `contentHash` is in the `RootProposed` log indexed by the returned epoch.
    function claimableRoot() external view returns (bytes32 root, uint32 epoch) {
        uint256 hot = _hot;
        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 1;
        if (_matured(hot)) return (_roots[activeIndex ^ 1], _meta.lastEpoch);
        return (_roots[activeIndex], _meta.activeEpoch);
    }

    /// @inheritdoc IRoyaltySplitter
    function pendingRoot() external view returns (bytes32 root, uint32 epoch, uint64 readyAt) {
        uint256 hot = _hot;
        readyAt = uint64(hot & READY_AT_MASK);
        if (readyAt != 0 && block.timestamp < readyAt) {
            return (_roots[((hot >> ACTIVE_INDEX_SHIFT) & 1) ^ 1], _meta.lastEpoch, readyAt);
        }
        return (bytes32(0), 0, 0);
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
    /// `(computedRoot ^ expected) & mask == 0`, one comparison path for both cases.
    function _claimableRootForClaims() private view returns (bytes32 expected, uint256 mask) {
        uint256 hot = _hot;
        if (hot & PAUSED_BIT != 0) revert RoyaltySplitterPaused();
        if (_matured(hot)) return (bytes32(hot), ROOT_PREFIX_MASK);
        uint256 activeIndex = (hot >> ACTIVE_INDEX_SHIFT) & 1;
        assembly ("memory-safe") {
            expected := sload(add(_roots.slot, activeIndex))
        }
        if (expected == bytes32(0)) revert RoyaltySplitterNoClaimableRoot();
        return (expected, type(uint256).max);
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
        if ((uint256(computed ^ expected) & mask) != 0) {
            revert RoyaltySplitterInvalidProof(account, token, cumulativeAmount);
        }
        mapping(address token => uint256) storage claimedOf = _claimed[account];
        uint256 already = claimedOf[token];
        if (cumulativeAmount <= already) {
            if (strict) revert RoyaltySplitterNothingToClaim(account, token, cumulativeAmount, already);
            return;
        }
        claimedOf[token] = cumulativeAmount;
        uint256 amount = cumulativeAmount - already;
        _pay(token, recipient, amount);
        emit Claimed(account, token, amount, cumulativeAmount);
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

    /// @dev EIP-712 digest of a `claimTo` authorisation; consumes `account`'s current nonce.
    function _claimToDigest(address account, address token, uint256 cumulativeAmount, address recipient, uint256 deadline)
        private
        returns (bytes32)
    {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(CLAIM_TO_TYPEHASH, account, token, cumulativeAmount, recipient, _useNonce(account), deadline)
            )
        );
    }

    /// @dev Sends `amount` of `token` (or native ETH) to `to`.
    function _pay(address token, address to, uint256 amount) private {
        if (token == NATIVE_TOKEN) {
            (bool ok,) = to.call{value: amount}("");
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

    /// @dev Books `amount` of `token` as deposited for `licenseId` by the caller.
    function _credit(bytes32 licenseId, address token, uint256 amount) private {
        TokenBook storage book = _books[token];
        if (!book.allowed) revert RoyaltySplitterTokenNotAllowed(token);
        if (amount == 0) revert RoyaltySplitterZeroAmount();
        uint256 deposited = book.deposited + amount;
        if (deposited > type(uint248).max) revert RoyaltySplitterAmountTooLarge(token, deposited);
        book.deposited = uint248(deposited);
        emit Deposited(licenseId, msg.sender, token, amount);
    }

    /// @dev Sets the timelock of future proposals.
    function _setTimelock(uint32 newTimelock) private {
        if (newTimelock > MAX_TIMELOCK) revert RoyaltySplitterTimelockTooLong(newTimelock, MAX_TIMELOCK);
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

    /// @dev Whether the pending root exists and has matured, from the hot slot.
    function _matured(uint256 hot) private view returns (bool) {
        uint256 readyAt = hot & READY_AT_MASK;
        return readyAt != 0 && block.timestamp >= readyAt;
    }

    /// @dev Whether the proposal of `epoch` was promoted, given the active epoch, for an epoch that is not
    /// the current pending one. Epochs up to the active one were promoted unless discarded.
    function _promotedBefore(uint32 epoch, uint32 activeEpoch) private view returns (bool) {
        if (epoch == activeEpoch) return true;
        return epoch < activeEpoch && (_discardedEpochs[epoch >> 8] >> (epoch & 0xff)) & 1 == 0;
    }
}
