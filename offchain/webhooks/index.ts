export { createWebhookDispatcher, retryDelayMs, type WebhookDispatcher } from "./dispatcher";
export { WEBHOOK_EVENTS, enqueueFor, type WebhookEventType } from "./events";
export { newWebhookSecret, signedHeaders, verifyWebhook } from "./sign";
