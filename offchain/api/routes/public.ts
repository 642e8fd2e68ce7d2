import { distributionFile, getEpoch, listEpochs, proofsFor } from "../services/epochs";
import { defineRoute } from "../route";
import { Address, EpochNumber, IsoDate, z } from "../schemas";

export const ProofsResponse = z
  .object({
    account: z.string(),
    proofs: z.array(
      z.object({
        token: z.string(),
        cumulative: z.string(),
        claimed: z.string(),
        claimable: z.string(),
        proof: z.array(z.string()),
        leafIndex: z.number(),
        epoch: z.number(),
        root: z.string(),
        epochStatus: z.string(),
      }),
    ),
  })
  .openapi("Proofs");

const Epoch = z
  .object({
    epoch: z.number(),
    startsAt: IsoDate,
    endsAt: IsoDate,
    status: z.string(),
    root: z.string(),
    contentHash: z.string(),
    totals: z.unknown(),
    leafCount: z.number(),
    counts: z.record(z.string(), z.number()),
    txHash: z.string().nullable(),
  })
  .openapi("Epoch");
const EpochParams = z.strictObject({ epoch: EpochNumber });

export const publicRoutes = [
  defineRoute({
    method: "get",
    path: "/v1/epochs",
    summary: "Every epoch: window, status, root, content hash, per-token totals, counts, tx hash",
    tag: "public",
    access: { kind: "public" },
    response: { status: 200, schema: z.array(Epoch), description: "Epochs" },
    async handler({ services }) {
      return { body: await listEpochs(services.deps) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/epochs/:epoch",
    summary: "One epoch",
    tag: "public",
    access: { kind: "public" },
    params: EpochParams,
    errors: { 404: "No such epoch" },
    response: { status: 200, schema: Epoch, description: "Epoch" },
    async handler({ services, params }) {
      return { body: await getEpoch(services.deps, params.epoch) };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/epochs/:epoch/distribution",
    summary: "The epoch's distribution file (canonical bytes; keccak256 = contentHash)",
    tag: "public",
    access: { kind: "public" },
    params: EpochParams,
    errors: { 404: "No such epoch" },
    response: { status: 200, contentType: "application/x-ndjson", description: "Distribution file" },
    async handler({ services, params }) {
      return { body: await distributionFile(services.deps, params.epoch), contentType: "application/x-ndjson" };
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/proofs/:account",
    summary: "Per token: cumulative, claimed, claimable now, proof, epoch and root",
    tag: "public",
    access: { kind: "public" },
    params: z.strictObject({ account: Address }),
    response: { status: 200, schema: ProofsResponse, description: "Proofs" },
    async handler({ services, params }) {
      return { body: await proofsFor(services.deps, services.distributions, params.account) };
    },
  }),
];
