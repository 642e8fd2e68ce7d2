import { distributionFileByHash, distributionFileOfEpoch, getEpoch, listEpochs, proofsFor } from "../services/epochs";
import { defineRoute } from "../route";
import { Address, Bytes32, EpochNumber, IsoDate, z } from "../schemas";

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
    async handler({ services, params, req }) {
      return distributionFileOfEpoch(services.deps, services.files, params.epoch, req.get("if-none-match"));
    },
  }),
  defineRoute({
    method: "get",
    path: "/v1/distributions/:contentHash",
    summary:
      "A published file by its keccak256 (ETag = content hash; immutable, cached for good; 304 on If-None-Match)",
    tag: "public",
    access: { kind: "public" },
    params: z.strictObject({ contentHash: Bytes32 }),
    response: { status: 200, contentType: "application/x-ndjson", description: "The file's canonical bytes" },
    errors: { 404: "No published file has this content hash" },
    async handler({ services, params, req }) {
      return distributionFileByHash(services.files, params.contentHash, req.get("if-none-match"));
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
      return { body: await proofsFor(services.deps, services.distributions, params.account, services.proofState) };
    },
  }),
];
