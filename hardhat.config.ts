/**
 * Hardhat 2 configuration.
 *
 * Environment variables (all optional):
 * - `REPORT_GAS`          (default unset)  print the gas table after `hardhat test`.
 * - `SOLIDITY_COVERAGE`   (default unset)  set by `npm run coverage`; hardhat-viem needs it under coverage.
 * - `FUZZ_STEPS`          (default 1000)   steps of the randomized RoyaltySplitter invariant run.
 * - `FUZZ_SEED`           (default random) seed of that run; a failing run prints the seed to replay it.
 * - `SETTLEMENT_FUZZ_RUNS` (default 500)   generated cases per settlement property test.
 * - `MERKLE_FUZZ_RUNS`    (default 500)    generated cases per Merkle property test.
 * - `TEST_DATABASE`       (default pglite) `postgres` runs the service suite on the PostgreSQL server.
 * - `TEST_PG_URL`         (default postgres://root@127.0.0.1:5432) the server the tests create and drop databases on.
 * - `MOCHA_GREP`          (default unset)  run only tests whose title matches.
 */
import "@nomicfoundation/hardhat-toolbox-viem";
import { subtask, task } from "hardhat/config";
import { TASK_COMPILE, TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";

const SOLC_VERSION = "0.8.30";

// The compiler cannot be downloaded on our machines: use the solcjs build shipped by the npm `solc` package.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD).setAction(async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) return runSuper();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

// The off-chain code's ABI module is derived from the artifacts on every compile (it is not committed).
task(TASK_COMPILE).setAction(async (args, hre, runSuper) => {
  const result = await runSuper(args);
  // Required lazily: the generator is TypeScript, loaded through hardhat's ts-node only when a compile runs.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { writeAbiModule } = require("./scripts/chain/generate-abi") as typeof import("./scripts/chain/generate-abi");
  writeAbiModule(hre.config.paths.artifacts);
  return result;
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      evmVersion: "cancun",
      viaIR: true,
      optimizer: { enabled: true, runs: 1_000_000 },
    },
  },
  networks: {
    hardhat: { hardfork: "cancun" },
  },
  paths: {
    sources: "./contracts",
    tests: "./test",
    cache: "./cache",
    artifacts: "./artifacts",
  },
  mocha: {
    timeout: 600_000,
    grep: process.env.MOCHA_GREP,
  },
  gasReporter: { enabled: process.env.REPORT_GAS === "true" },
};

export default config;
