// solidity-coverage: measure contracts/ only; the mocks exist for the tests.
module.exports = {
  skipFiles: ["mocks/"],
  // The claim path's assembly and packed structs need the IR pipeline to stay within the stack limit.
  configureYulOptimizer: true,
};
