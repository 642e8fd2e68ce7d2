// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @notice Test-only payee that answers every native payment with `size` bytes of return data (a "return bomb"):
/// a payer that copies return data pays the memory for it a second time.
contract MockReturnBomb {
    uint256 public immutable size;

    constructor(uint256 size_) {
        size = size_;
    }

    receive() external payable {
        uint256 n = size;
        assembly ("memory-safe") {
            return(0, n)
        }
    }
}
