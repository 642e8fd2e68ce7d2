/** Tiny DOM helpers: element builder, lookups and status lines that never rely on colour alone. */
import { WebError } from "./errors";

type Child = Node | string | number | bigint | null | undefined | false;

/** Creates an element with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, unknown> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function")
      el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
    else if (k === "class") el.className = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  el.append(...nodes(children));
  return el;
}

function nodes(children: Child[]): (Node | string)[] {
  const out: (Node | string)[] = [];
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) out.push(c instanceof Node ? c : String(c));
  return out;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new WebError("WEB_ELEMENT_MISSING", `missing #${id}`);
  return el as T;
}

/** Status kinds, each shown with a word label (readable without colour). */
export type StatusKind = "info" | "progress" | "ok" | "error" | "warn";
const LABEL: Record<StatusKind, string> = {
  info: "Note",
  progress: "Working",
  ok: "Done",
  error: "Error",
  warn: "Not yet",
};

/** Replaces the content of a status box with a labelled message. */
export function setStatus(el: HTMLElement, kind: StatusKind, text: string, ...extra: Child[]): void {
  el.replaceChildren(h("strong", { class: "label" }, `${LABEL[kind]}:`), " ", text, ...nodes(extra));
  el.className = `status status-${kind}`;
  el.dataset.kind = kind;
  el.hidden = false;
}

/** Shortens a 0x value for display, keeping the full value in a tooltip. */
export function short(hex: string, keep = 6): HTMLElement {
  const text = hex.length > 2 * keep + 4 ? `${hex.slice(0, keep + 2)}…${hex.slice(-keep)}` : hex;
  return h("code", { title: hex, class: "hex" }, text);
}

/** A table whose cells carry their column header as `data-label` (stacked layout on phones). */
export function table(headers: string[], rows: Child[][], attrs: Record<string, unknown> = {}): HTMLTableElement {
  return h(
    "table",
    { class: "data", ...attrs },
    h("thead", {}, h("tr", {}, ...headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, ...rows.map((r) => h("tr", {}, ...r.map((c, i) => h("td", { "data-label": headers[i] }, c))))),
  );
}
