/** The database's JSON conversion (offchain/db/json.ts), used by the services for replies too. */
export { toJson } from "../../db/json";
