/**
 * A route is declared once: method, path, who may call it, the zod schemas of its inputs and output, and the
 * handler. The app registers the table with Express; /openapi.json is generated from the same table.
 */
import type { Request } from "express";
import type { z } from "zod";
import type { Common } from "../common";
import type { PrismaClient } from "../db/client";
import type { Actor } from "./auth/actor";
import type { Services } from "./services";

export type RoleName = "creator" | "buyer" | "auditor" | "operator";

/** public: anyone; session: any signed-in address, optionally one of `roles`; apiKey: a buyer's machine key. */
export type Access = { kind: "public" } | { kind: "session"; roles?: readonly RoleName[] } | { kind: "apiKey" };

export type HandlerContext<P, Q, B> = {
  params: P;
  query: Q;
  body: B;
  actor: Actor;
  services: Services;
  prisma: PrismaClient;
  common: Common;
  req: Request;
};

/** `body` may be a Readable (streamed as is); `headers` are set before it. */
export type Reply = { status?: number; body: unknown; contentType?: string; headers?: Record<string, string> };

export type RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> = {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  /** What the operation does, for /openapi.json; the summary (and the roles) when omitted. */
  description?: string;
  /** Unique name in /openapi.json; derived from the method and path when omitted. */
  operationId?: string;
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  response: { status: number; schema?: z.ZodType; contentType?: string; description: string };
  /**
   * The error statuses the handler itself may answer (e.g. 404, 409, 422, 503), with what each means. Those the
   * framework adds are documented from the other fields: 400 (inputs), 401/403 (access), 413/415 (body), 500.
   */
  errors?: Partial<Record<number, string>>;
  handler(ctx: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<Reply>;
};

// The table holds routes of different input types; erase them once here rather than in every module.
export type AnyRoute = RouteDef<z.ZodType, z.ZodType, z.ZodType>;

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  def: RouteDef<P, Q, B>,
): AnyRoute {
  return def as unknown as AnyRoute;
}
