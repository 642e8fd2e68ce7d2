/**
 * Webhook settings, shared by the creator and buyer pages: the caller's endpoints with their deliveries' status,
 * and a form registering a new HTTPS endpoint (the signing secret is shown once, right after registering).
 */
import { api, ApiProblemError } from "./api";
import { h, setStatus, table } from "./dom";

type Endpoint = { id: string; role: string; url: string; events: string[]; disabledAt: string | null };
type Delivery = { state: string };

export async function drawWebhooks(root: HTMLElement, role: "creator" | "buyer", events: string[]): Promise<void> {
  const list = await api.get<Endpoint[]>("/v1/webhooks");
  const deliveries = await Promise.all(list.map((e) => api.get<Delivery[]>(`/v1/webhooks/${e.id}/deliveries`)));
  const url = h("input", { id: "webhook-url", type: "url", placeholder: "https://…", "aria-label": "Webhook URL" });
  const status = h("div", { id: "webhook-status", class: "status", role: "status", hidden: true });
  const add = async () => {
    try {
      const r = await api.post<{ secret: string }>("/v1/webhooks", { url: url.value.trim(), role, events });
      await drawWebhooks(root, role, events);
      const s = root.querySelector<HTMLElement>("#webhook-status");
      if (s) setStatus(s, "ok", `Registered. Signing secret (shown once, keep it): ${r.secret}`);
    } catch (err) {
      const why = err instanceof ApiProblemError ? (err.problem.detail ?? err.problem.title) : String(err);
      setStatus(status, "error", `Not registered: ${why}`);
    }
  };
  const count = (ds: Delivery[], s: string) => ds.filter((d) => d.state === s).length;
  root.replaceChildren(
    list.length === 0
      ? h("p", {}, "No webhooks yet.")
      : table(
          ["URL", "Events", "Deliveries"],
          list.map((e, i) => [
            e.url,
            e.events.join(", "),
            e.disabledAt
              ? "disabled"
              : `${count(deliveries[i], "delivered")} delivered, ${count(deliveries[i], "pending")} pending, ` +
                `${count(deliveries[i], "failed")} failed`,
          ]),
          { id: "webhooks-table" },
        ),
    h(
      "p",
      {},
      url,
      h("button", { id: "webhook-add", type: "button", onclick: () => void add() }, "Add webhook"),
      ` events: ${events.join(", ")}`,
    ),
    status,
  );
}
