/**
 * Production deployment of RoyaltySplitter on any network:
 *   SPLITTER_ALLOWED_TOKENS=0xToken1,0xToken2 npx hardhat ignition deploy scripts/ignition/modules/RoyaltySplitter.ts \
 *     --network <name> --parameters params.json
 * Roles and timelock come from the module parameters (see ../splitter.ts); the token allow-list from
 * SPLITTER_ALLOWED_TOKENS, read by offchain/config like every variable (Ignition cannot loop over a parameter's
 * value, so the list must be known when the module is built), one `setTokenAllowed` call each.
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { loadSettings } from "../../../offchain/config";
import { deploySplitter } from "../splitter";

/** A RoyaltySplitter module that allow-lists `allowedTokens`. */
export function buildRoyaltySplitterModule(allowedTokens: string[]) {
  return buildModule("RoyaltySplitter", (m) => {
    const splitter = deploySplitter(m, { adminDelay: 3 * 24 * 3600, timelock: 24 * 3600 });
    allowedTokens.forEach((token, i) => {
      m.call(splitter, "setTokenAllowed", [token, true], { id: `allowToken${i}`, from: m.getAccount(0) });
    });
    return { splitter };
  });
}

export default buildRoyaltySplitterModule(loadSettings().deployment.allowedTokens);
