/**
 * epoch.claimable and refund.available, queued when the root publisher marks an epoch claimable. Properties: each
 * creator with a leaf that grew in the epoch gets one delivery naming only its own leaves; each buyer whose license
 * refund grew gets one delivery with exactly the growth over the state the epoch was computed from (a vetoed epoch
 * in between is skipped); nobody else gets anything, and a vetoed root queues nothing.
 */
import { expect } from "chai";
import { createPublicationStore } from "../../../offchain/chain/publication-store";
import { silentLogger } from "../../../offchain/chain/common";
import { openTestDatabase, type TestDb } from "../helpers/database";
import { createEpochRow } from "../helpers/epoch-row";

const addr = (c: string) => `0x${c.repeat(40)}`;
const id32 = (c: string) => `0x${c.repeat(64)}`;
const TOKEN = addr("7e");
const [C1, C2, C3, B1, B2] = [addr("c1"), addr("c2"), addr("c3"), addr("b1"), addr("b2")];
const [L1, L2] = [id32("11"), id32("22")];

async function epoch(db: TestDb, id: number, status: "claimable" | "vetoed" | "mined", refunded: [string, string]) {
  await createEpochRow(db, id, status, {
    licenses: [
      { licenseId: L1, token: TOKEN, deposited: "100", recognized: "0", refunded: refunded[0] },
      { licenseId: L2, token: TOKEN, deposited: "100", recognized: "0", refunded: refunded[1] },
    ],
  });
}

describe("offchain/webhooks/money-events: epoch.claimable and refund.available", () => {
  let db: TestDb;
  const endpoints: Record<string, string> = {};
  before(async () => {
    db = await openTestDatabase();
    const creators = await Promise.all(
      [C1, C2, C3].map((address) => db.prisma.creator.create({ data: { address, name: address } })),
    );
    const [b1, b2] = await Promise.all(
      [B1, B2].map((address) => db.prisma.buyer.create({ data: { address, name: address } })),
    );
    const terms = { model: "one_time" as const, token: TOKEN, scope: "training" as const, price: "100" };
    const offer = await db.prisma.offer.create({
      data: { ...terms, creatorId: creators[0].id, durationSeconds: 86_400 },
    });
    const window = { startsAt: new Date(Date.UTC(2026, 0, 1)), endsAt: new Date(Date.UTC(2026, 1, 1)) };
    for (const [id, buyerId] of [
      [L1, b1.id],
      [L2, b2.id],
    ])
      await db.prisma.license.create({
        data: { ...terms, ...window, id, offerId: offer.id, buyerId, exclusive: false },
      });
    for (const [owner, role] of [
      [C1, "creator"],
      [C2, "creator"],
      [C3, "creator"],
      [B1, "buyer"],
      [B2, "buyer"],
    ] as const) {
      const e = await db.prisma.webhookEndpoint.create({
        data: {
          owner,
          role,
          url: `https://hooks.example.org/${owner}`,
          events: ["epoch.claimable", "refund.available"],
          secret: "whsec_x",
        },
      });
      endpoints[e.id] = `${role}:${owner}`;
    }
    // Epoch 1 stood (L2 refunded 5), epoch 2 was vetoed (its state must be ignored), epoch 3 is being promoted.
    await epoch(db, 1, "claimable", ["0", "5"]);
    await epoch(db, 2, "vetoed", ["90", "90"]);
    await epoch(db, 3, "mined", ["7", "5"]);
    await db.prisma.allocation.createMany({
      data: [
        { epochId: 3, account: C1, token: TOKEN, amount: "93", cumulative: "193", leafIndex: 0 },
        { epochId: 3, account: C2, token: TOKEN, amount: "0", cumulative: "40", leafIndex: 1 }, // carried
        { epochId: 3, account: B1, token: TOKEN, amount: "7", cumulative: "7", leafIndex: 2 },
        { epochId: 3, account: B2, token: TOKEN, amount: "0", cumulative: "5", leafIndex: 3 },
      ],
    });
    for (const epochId of [2, 3]) await db.prisma.epochPublication.create({ data: { epochId, state: "mined" } });
  });
  after(async () => db?.close());

  const deliveries = async () =>
    (await db.prisma.webhookDelivery.findMany({ orderBy: { eventType: "asc" } })).map((d) => ({
      to: endpoints[d.endpointId],
      type: d.eventType,
      data: (d.payload as { data: unknown }).data,
    }));

  it("a vetoed root queues nothing", async () => {
    await createPublicationStore(db, silentLogger, Date.now).settle(2, "vetoed");
    expect(await deliveries()).to.deep.equal([]);
  });

  it("a claimable root tells the creator with a grown leaf its own leaves, and the refunded buyer its refund", async () => {
    await createPublicationStore(db, silentLogger, Date.now).settle(3, "claimable");
    expect((await db.prisma.epoch.findUniqueOrThrow({ where: { id: 3 } })).status).to.equal("claimable");
    expect(await deliveries()).to.deep.equal([
      {
        to: `creator:${C1}`,
        type: "epoch.claimable",
        data: {
          epoch: 3,
          root: id32("03"),
          endsAt: "2026-01-04T00:00:00.000Z",
          account: C1,
          leaves: [{ token: TOKEN, amount: "93", cumulative: "193" }],
          proof: `/v1/proofs/${C1}`,
        },
      },
      {
        to: `buyer:${B1}`,
        type: "refund.available",
        data: {
          epoch: 3,
          root: id32("03"),
          licenseId: L1,
          token: TOKEN,
          amount: "7",
          refundedToDate: "7",
          account: B1,
          proof: `/v1/proofs/${B1}`,
        },
      },
    ]);
  });
});
