// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
contract Smoke { function f(bytes32[] calldata p, bytes32 r, bytes32 l) external pure returns (bool) { return MerkleProof.verifyCalldata(p, r, l); } }
