/** Prometheus metrics: one registry per service instance (tests open many apps in one process). */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type Metrics = {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
  usageEventsAccepted: Counter;
  usageEventsDuplicate: Counter;
};

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: "tributary_http_requests_total",
      help: "HTTP requests by route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "tributary_http_request_duration_seconds",
      help: "HTTP request duration by route template",
      labelNames: ["method", "route"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    usageEventsAccepted: new Counter({
      name: "tributary_usage_events_accepted_total",
      help: "Usage events newly stored",
      registers: [registry],
    }),
    usageEventsDuplicate: new Counter({
      name: "tributary_usage_events_duplicate_total",
      help: "Usage events re-sent with an idempotency key already stored",
      registers: [registry],
    }),
  };
}
