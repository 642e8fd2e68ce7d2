// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ClaimProof} from "../libraries/ClaimProof.sol";

/// @notice Test-only: exposes ClaimProof beside the OpenZeppelin reference so tests can compare them.
contract ClaimProofHarness {
    function leaf(address account, address token, uint256 amount) external pure returns (bytes32) {
        return ClaimProof.leaf(account, token, amount);
    }

    function referenceLeaf(address account, address token, uint256 amount) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, token, amount))));
    }

    function processProof(bytes32[] calldata proof, bytes32 leafHash) external pure returns (bytes32) {
        return ClaimProof.processProof(proof, leafHash);
    }

    function referenceProcessProof(bytes32[] calldata proof, bytes32 leafHash) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leafHash);
    }

    function processMultiProof(bytes32[] calldata proof, uint256 proofFlags, bytes32[] calldata leaves)
        external
        pure
        returns (bytes32)
    {
        return ClaimProof.processMultiProof(proof, proofFlags, leaves);
    }

    function referenceProcessMultiProof(bytes32[] calldata proof, bool[] calldata proofFlags, bytes32[] calldata leaves)
        external
        pure
        returns (bytes32)
    {
        return MerkleProof.processMultiProofCalldata(proof, proofFlags, leaves);
    }
}
