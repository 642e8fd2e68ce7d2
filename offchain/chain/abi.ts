/**
 * The contracts' ABIs, derived from the compiled artifacts: `generated/abi.ts` is written by every
 * `hardhat compile` (hardhat.config.ts runs scripts/chain/generate-abi.ts after it; `npm install` compiles), is not
 * committed, and test/offchain/chain/abi.test.ts checks it against the artifacts. Arbitrary ERC-20 tokens are
 * called through viem's `erc20Abi`, never through the test stablecoin's.
 */
export { royaltySplitterAbi, testStablecoinAbi } from "./generated/abi";
