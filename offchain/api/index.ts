/** The HTTP service: `createApp` for tests and embedding, `startApi` for a running server. */
export { createApp, type App, type CreateAppOptions } from "./app";
export { startApi, type RunningApi } from "./server";
export { recordDeposit, setDepositState, type ChainDeposit } from "./services/deposits";
