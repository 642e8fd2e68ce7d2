/**
 * The splitter part shared by the Ignition modules: deployment with its roles from module parameters.
 *
 * Parameters (per module id), with defaults:
 * - `adminDelay` (259200 = 3 days): delay of a default-admin transfer (AccessControlDefaultAdminRules).
 * - `admin` / `poster` / `guardian` (the deploying account): role holders. The allow-list calls are sent by the
 *   deploying account, so Ignition can allow-list tokens only when it deploys as the admin; hand the admin role
 *   to a multisig afterwards with the contract's delayed transfer.
 * - `timelock` (86400): seconds from a root proposal to its claimability. It is also the splitter's
 *   `TIMELOCK_FLOOR`: no role can ever set a shorter one, and role and timelock changes take at least that long
 *   (scheduled, cancellable by a guardian), so choose it as the time a guardian needs to react.
 */
import type { IgnitionModuleBuilder } from "@nomicfoundation/ignition-core";

export function deploySplitter(m: IgnitionModuleBuilder, defaults: { adminDelay: number; timelock: number }) {
  const deployer = m.getAccount(0);
  return m.contract("RoyaltySplitter", [
    m.getParameter("adminDelay", defaults.adminDelay),
    m.getParameter("admin", deployer),
    m.getParameter("poster", deployer),
    m.getParameter("guardian", deployer),
    m.getParameter("timelock", defaults.timelock),
  ]);
}
