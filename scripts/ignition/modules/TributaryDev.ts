/**
 * Development deployment: a test stablecoin with EIP-2612 permit (MockERC20Permit, "Test USD"/TUSD) and a
 * RoyaltySplitter that allow-lists it; short admin delay and timelock by default.
 *   npx hardhat ignition deploy scripts/ignition/modules/TributaryDev.ts --network localhost
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { deploySplitter } from "../splitter";

export default buildModule("TributaryDev", (m) => {
  const stablecoin = m.contract("MockERC20Permit", ["Test USD", "TUSD"]);
  const splitter = deploySplitter(m, { adminDelay: 0, timelock: 60 });
  m.call(splitter, "setTokenAllowed", [stablecoin, true], { id: "allowStablecoin", from: m.getAccount(0) });
  return { splitter, stablecoin };
});
