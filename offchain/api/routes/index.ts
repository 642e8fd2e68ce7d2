/** The complete route table, in registration order. The authorization matrix test enumerates it via Express. */
import type { AnyRoute } from "../route";
import { authRoutes } from "./auth";
import { buyerRoutes } from "./buyers";
import { consentRoutes } from "./consent";
import { creatorRoutes } from "./creators";
import { operatorRoutes } from "./operators";
import { publicRoutes } from "./public";
import { systemRoutes } from "./system";

export function routeTable(): AnyRoute[] {
  const table: AnyRoute[] = [];
  table.push(
    ...systemRoutes(() => table),
    ...authRoutes,
    ...publicRoutes,
    ...creatorRoutes,
    ...buyerRoutes,
    ...operatorRoutes,
    ...consentRoutes,
  );
  return table;
}
