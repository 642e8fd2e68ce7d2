/**
 * Every usage event acknowledged with a 2xx is billed in exactly one epoch: ingestion and close serialize on the
 * epoch-close lock, and an event is billed in the epoch holding max(occurred_at, received_at). Late usage is
 * accepted within LATE_USAGE_GRACE_SECONDS, billed in the next open epoch and counted as late; after it, 422.
 */
import { expect } from "chai";
import request from "supertest";
import { closeEpoch, settlementInput, type CloseEpochResult } from "../../../../offchain/epochs";
import { ingestUsage } from "../../../../offchain/api/services/usage";
import { bearer, startTestApi, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`offchain/api/services/usage: billed exactly once (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  let buyerId: string;
  beforeEach(async () => {
    t = await startTestApi({ LATE_USAGE_GRACE_SECONDS: "3600" });
    s = await buildScenario(t);
    buyerId = (await t.db.prisma.buyer.findUniqueOrThrow({ where: { address: s.buyer.address.toLowerCase() } })).id;
  });
  afterEach(async () => t?.close());
  const deps = () => ({ prisma: t.db.prisma, common: t.common });

  const event = (key: string, occurredAt: Date, units = "7") => ({
    licenseId: s.licenses.perUse,
    datasetId: s.datasets.d1,
    itemRef: `item-${key}`,
    units,
    occurredAt: occurredAt.toISOString(),
    idempotencyKey: key,
  });

  /** Σ per-use units the engine is given for [start, end), read the way the close reads them. */
  async function unitsBilled(epoch: number, start: Date, end: Date): Promise<bigint> {
    const { raw } = await t.db.prisma.$transaction((tx) => settlementInput(tx, deps(), epoch, start, end));
    return (raw.usage ?? []).filter((u) => u.licenseId === s.licenses.perUse).reduce((a, u) => a + BigInt(u.units), 0n);
  }

  it("a close started between a batch's read and its insert waits; the event is billed in that epoch, once", async () => {
    // Before the fix the close ran in this window: it ended after occurred_at, the insert came later, and the
    // event (accepted: 1) fell in neither epoch.
    let closing: Promise<CloseEpochResult> | undefined;
    const order: string[] = [];
    const occurred = new Date(Date.now() - 60_000);
    const reply = await ingestUsage(deps(), buyerId, [event("race-1", occurred)], {
      async beforeInsert() {
        closing = closeEpoch(deps(), "operator", {}).then((r) => {
          order.push("close");
          return r;
        });
        await sleep(500); // the close would have committed by now if it did not wait for the lock
        order.push("insert");
      },
    });
    expect(reply.accepted).to.equal(1);
    const closed = await closing!;
    expect(order).to.deep.equal(["insert", "close"]);
    expect(closed.status).to.equal("closed");
    const e1 = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    // Billed in exactly one of the closed window and the next (open) one: never in neither, never in both. (Which
    // one depends on the second the close truncates its end to: received_at is stamped under the lock.)
    const inClosed = await unitsBilled(1, e1.startsAt, e1.endsAt);
    const inNext = await unitsBilled(2, e1.endsAt, new Date(Date.now() + 3_600_000));
    expect(inClosed + inNext).to.equal(7n);
    expect(inClosed === 0n || inNext === 0n, "billed in one window only").to.equal(true);
  });

  it("late usage within the grace is accepted, billed in the next epoch, counted as late; older is 422", async () => {
    const occurred = new Date(Date.now() - 120_000);
    await closeEpoch(deps(), "operator", {});
    const e1 = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 1 } });
    const ok = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [event("late-1", occurred, "3")] })
      .expect(200);
    expect(ok.body.accepted).to.equal(1);
    // Not in the closed window (it was not read there), but in the next one, exactly once.
    expect(await unitsBilled(2, e1.endsAt, new Date(Date.now() + 1000))).to.equal(3n);
    await sleep(1100);
    const r2 = await closeEpoch(deps(), "operator", {});
    expect(r2.status).to.equal("closed");
    const e2 = await t.db.prisma.epoch.findUniqueOrThrow({ where: { id: 2 } });
    expect((e2.report as { usage: { lateEvents: number } }).usage.lateEvents).to.equal(1);
    // Beyond the grace (older than 3600 s and in a closed epoch): refused with a clear code.
    const old = new Date(e1.startsAt.getTime() > 0 ? e1.startsAt.getTime() : s.licenseStart.getTime());
    const refused = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [event("late-2", new Date(Math.max(old.getTime(), Date.now() - 2 * 3_600_000)))] })
      .expect(422);
    expect(refused.body.errors[0].code).to.equal("late-usage-expired");
  });

  it("a buyer cancels its license: status cancelled, the money meaning stated; usage after the cancel is refused", async () => {
    const res = await request(t.app)
      .post(`/v1/licenses/${s.licenses.subscription}/cancel`)
      .set(bearer(s.tokens.buyer))
      .expect(200);
    expect(res.body.status).to.equal("cancelled");
    expect(res.body.onEnd).to.match(/end of the current period/);
    await request(t.app).post(`/v1/licenses/${s.licenses.subscription}/cancel`).set(bearer(s.tokens.buyer)).expect(409);
    await request(t.app).post(`/v1/licenses/${s.licenses.perUse}/cancel`).set(bearer(s.tokens.otherBuyer)).expect(404);
    await request(t.app).post(`/v1/licenses/${s.licenses.perUse}/cancel`).set(bearer(s.tokens.buyer)).expect(200);
    const after = await request(t.app)
      .post("/v1/usage")
      .set("x-api-key", s.apiKey)
      .send({ events: [event("after-cancel", new Date(Date.now() + 1000))] })
      .expect(422);
    expect(after.body.errors[0].code).to.equal("license-inactive");
  });
});
