/**
 * Contributor shares through the API: accounts that can never be paid are refused, a change takes effect at a
 * stated time (never in the past beyond the tolerance, never in a closed epoch), and removing or lowering another
 * contributor needs that contributor's approval (SIWE) or waits out SHARE_CHANGE_NOTICE_SECONDS.
 */
import { expect } from "chai";
import request from "supertest";
import { closeEpoch } from "../../../../offchain/epochs";
import { account, bearer, signIn, SPLITTER, startTestApi, TOKEN, type TestApi } from "../../helpers/api";
import { TEST_DATABASE } from "../../helpers/database";
import { buildScenario, type Scenario } from "../../helpers/scenario";

const NOTICE = 86_400;
const ZERO = "0x" + "00".repeat(20);

describe(`offchain/api/services/creators: contributor shares (${TEST_DATABASE})`, function () {
  let t: TestApi;
  let s: Scenario;
  let a: string;
  beforeEach(async () => {
    t = await startTestApi({ SHARE_CHANGE_NOTICE_SECONDS: String(NOTICE) });
    s = await buildScenario(t);
    a = s.creatorA.address.toLowerCase();
  });
  afterEach(async () => t?.close());

  const put = (body: object, token = s.tokens.creatorA, dataset = s.datasets.d1) =>
    request(t.app).put(`/v1/datasets/${dataset}/shares`).set(bearer(token)).send(body);
  const withoutRequestId = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
  const secondsIso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString();

  it("refuses the zero address, the splitter and an allow-listed token as contributors (422), storing nothing", async () => {
    const res = await request(t.app)
      .post("/v1/datasets")
      .set(bearer(s.tokens.creatorA))
      .send({
        name: "Bad shares",
        shares: [
          { account: ZERO, bps: 2500 },
          { account: SPLITTER, bps: 2500 },
          { account: TOKEN, bps: 2500 },
          { account: a, bps: 2500 },
        ],
      })
      .expect(422);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(withoutRequestId(res.body)).to.deep.equal({
      type: "/problems/unprocessable",
      title: "Unprocessable content",
      status: 422,
      detail: "a contributor account can never be paid",
      instance: "/v1/datasets",
      requestId: undefined,
      errors: [
        { path: "/shares/0/account", message: "the zero address", code: "zero-address" },
        { path: "/shares/1/account", message: "the splitter contract", code: "splitter-address" },
        { path: "/shares/2/account", message: "a token address", code: "token-address" },
      ],
    });
    const change = await put({
      shares: [
        { account: a, bps: 9000 },
        { account: ZERO, bps: 1000 },
      ],
    }).expect(422);
    expect(change.body.errors).to.deep.equal([
      { path: "/shares/1/account", message: "the zero address", code: "zero-address" },
    ]);
    expect(await t.db.prisma.dataset.count()).to.equal(4); // the scenario's four
    expect(await t.db.prisma.shareChange.count()).to.equal(0);
  });

  it("a change that lowers nobody else takes effect at its stated time: old shares in force until then", async () => {
    const effectiveAt = secondsIso(Date.now() + 3_600_000);
    // Creator A lowers only itself (60 % → 50 %): its own request is its consent.
    const res = await put({
      shares: [
        { account: a, bps: 5000 },
        { account: s.contributor, bps: 5000 },
      ],
      effectiveAt,
    }).expect(200);
    const id = (await t.db.prisma.shareChange.findFirstOrThrow()).id;
    expect(res.body.shares).to.deep.equal(
      [
        { account: a, bps: 6000 },
        { account: s.contributor, bps: 4000 },
      ].sort((x, y) => x.account.localeCompare(y.account)),
    );
    expect(res.body.scheduledShares).to.deep.equal([
      {
        id,
        shares: [
          { account: a, bps: 5000 },
          { account: s.contributor, bps: 5000 },
        ].sort((x, y) => x.account.localeCompare(y.account)),
        requestedAt: effectiveAt,
        effectiveAt,
        awaitingApproval: [],
        approvedBy: [],
      },
    ]);
    // A second change at the same second would make the split ambiguous: 409.
    const again = [
      { account: a, bps: 4000 },
      { account: s.contributor, bps: 6000 },
    ];
    await put({ shares: again, effectiveAt }).expect(409);
    // Removing the contributor at that second is not at that second: without its approval it waits out the notice.
    const removal = await put({ shares: [{ account: a, bps: 10_000 }], effectiveAt }).expect(200);
    expect(removal.body.scheduledShares.map((c: { awaitingApproval: string[] }) => c.awaitingApproval)).to.deep.equal([
      [],
      [s.contributor],
    ]);
  });

  it("lowering another contributor waits out the notice, notifies it, and its SIWE approval restores the time", async () => {
    // The contributor signs in and subscribes to share-change notices.
    const contributor = account("contributor");
    const tok = await signIn(t.app, contributor);
    await request(t.app).post("/v1/creators").set(bearer(tok)).send({ name: "Contributor" }).expect(201);
    await request(t.app)
      .post("/v1/webhooks")
      .set(bearer(tok))
      .send({ url: "https://hooks.example.org/tributary", role: "creator", events: ["shares.change-proposed"] })
      .expect(201);

    const requestedAt = secondsIso(Date.now() + 60_000);
    const before = Math.floor(Date.now() / 1000);
    const res = await put({
      shares: [
        { account: a, bps: 8000 },
        { account: s.contributor, bps: 2000 },
      ],
      effectiveAt: requestedAt,
    }).expect(200);
    const after = Math.floor(Date.now() / 1000);
    const [scheduled] = res.body.scheduledShares;
    // Without the contributor's approval: no sooner than the notice (86,400 s) after the request.
    const effective = Date.parse(scheduled.effectiveAt) / 1000;
    expect(effective).to.be.within(before + NOTICE, after + NOTICE);
    expect(scheduled).to.deep.include({ requestedAt, awaitingApproval: [s.contributor], approvedBy: [] });

    // The notice tells the contributor its own share before and after, nothing about anyone else.
    const deliveries = await t.db.prisma.webhookDelivery.findMany();
    expect(deliveries.map((d) => d.eventType)).to.deep.equal(["shares.change-proposed"]);
    expect((deliveries[0].payload as { data: unknown }).data).to.deep.equal({
      changeId: scheduled.id,
      datasetId: s.datasets.d1,
      bpsBefore: 4000,
      bpsAfter: 2000,
      requestedAt,
      effectiveAt: scheduled.effectiveAt,
    });

    const pending = await request(t.app).get("/v1/share-changes/pending").set(bearer(tok)).expect(200);
    expect(pending.body).to.deep.equal([{ datasetId: s.datasets.d1, ...scheduled }]);
    // Nobody else can approve it for the contributor, not even the dataset's owner.
    await request(t.app).post(`/v1/share-changes/${scheduled.id}/approve`).set(bearer(s.tokens.stranger)).expect(404);
    await request(t.app).post(`/v1/share-changes/${scheduled.id}/approve`).set(bearer(s.tokens.creatorA)).expect(404);
    const approved = await request(t.app)
      .post(`/v1/share-changes/${scheduled.id}/approve`)
      .set(bearer(tok))
      .expect(200);
    expect(approved.body).to.deep.equal({
      ...scheduled,
      effectiveAt: requestedAt,
      awaitingApproval: [],
      approvedBy: [s.contributor],
    });
    expect((await request(t.app).get("/v1/share-changes/pending").set(bearer(tok)).expect(200)).body).to.deep.equal([]);
  });

  it("refuses an effectiveAt beyond the past tolerance or inside a closed epoch (422), storing nothing", async () => {
    const shares = [{ account: a, bps: 10_000 }];
    const past = await put({ shares, effectiveAt: new Date(Date.now() - 3_600_000).toISOString() }).expect(422);
    expect(past.body.errors).to.deep.equal([
      { path: "/effectiveAt", message: "more than 300 s in the past", code: "in-past" },
    ]);
    const end = new Date(Math.floor(Date.now() / 1000) * 1000);
    const r = await closeEpoch({ prisma: t.db.prisma, common: t.common }, "operator", { endsAt: end.toISOString() });
    expect(r.status).to.equal("closed");
    // 10 s ago is within the 300 s tolerance, but that second is already settled.
    const closed = await put({ shares, effectiveAt: new Date(end.getTime() - 10_000).toISOString() }).expect(422);
    expect(closed.body.errors).to.deep.equal([
      { path: "/effectiveAt", message: `before ${end.toISOString()}`, code: "epoch-closed" },
    ]);
    expect(await t.db.prisma.shareChange.count()).to.equal(0);
  });
});
