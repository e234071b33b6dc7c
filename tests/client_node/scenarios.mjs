#!/usr/bin/env node
/**
 * twilio-node scenarios against a Super SIM Sim API (the kit's reference mock): the twin of
 * tests/client/scenarios.py (twilio-python), one scenario per name there, plus one.
 *
 * Each scenario drives the pinned `twilio` package (tests/client_node/package.json) and asserts
 * what the client *parses*: every attribute of SimInstance (checkSim), status codes through
 * *WithHttpInfo, pagination through list/each/page/nextPage with limit and pageSize, and
 * RestException's .status/.code. What the client *sends* is judged by the mock: its
 * request-violation log must stay empty (tests/client_node/test_client_node.py checks it).
 *
 * The four asynchronous updates (activation, deactivation, reactivation, fleet change; and the
 * activation with a Fleet in the same request) also pass CallbackUrl/CallbackMethod: a receiver
 * in this process (127.0.0.1, port 0) takes the mock's callback and verifies X-Twilio-Signature
 * with twilio-node's own validateRequest, keyed by the Auth Token of the Sim's account.
 *
 * Usage (the profile is one JSON document on the first line of stdin; `python -m
 * tests.client_node.profile` prints the default profile's):
 *
 *   node scenarios.mjs --list                          names, families, summaries (JSON lines)
 *   node scenarios.mjs BASE_URL [NAME ...|all]         run those (all by default); before each
 *                                                      POST /_mock/flush and /_mock/reset, after
 *                                                      each GET /_mock/violations (standalone)
 *   node scenarios.mjs BASE_URL --stdin                then one NAME per stdin line; the caller
 *                                                      resets the mock and reads its logs itself
 *
 * Output: one JSON line per scenario, {"name", "family", "ok", "error", "requests": [{"method",
 * "url", "status"}], "callbacks", "expected_violations", "seconds"} (standalone runs add
 * "violations"); --stdin first prints {"ready": true, "scenarios": [names]}. Exit status 1 if
 * a standalone run had a failure.
 *
 * Data comes from the profile (fixed SIDs, ICCIDs, names), made-up names are constants and an
 * asynchronous update is completed with POST /_mock/flush (not by waiting), so every run sends
 * the same requests.
 */

import assert from "node:assert/strict";
import http from "node:http";
import readline from "node:readline";

import twilio from "twilio";

const { RequestClient, RestException, validateRequest } = twilio;

const SIM_SID = /^HS[0-9a-f]{32}$/;
const UNKNOWN_SID = "HS" + "0".repeat(32);
const UNKNOWN_ICCID = "89000000000000000000";
const WRONG_TOKEN = "f".repeat(32);
/** How long a callback may take to arrive after the flush, and how long we wait for a second one. */
const CALLBACK_TIMEOUT_MS = 3000;
const SECOND_CALLBACK_GRACE_MS = 100;

// --- the client's requests --------------------------------------------------------------------

/** twilio-node's own RequestClient, remembering each request's method, URL, status and body. */
class CountingRequestClient extends RequestClient {
  constructor(log) {
    super();
    this.log = log;
  }

  async request(opts) {
    const response = await super.request(opts);
    const url = new URL(opts.uri);
    for (const [name, value] of Object.entries(opts.params ?? {})) url.searchParams.append(name, String(value));
    this.log.push({ method: opts.method.toUpperCase(), url: url.href, status: response.statusCode, body: response.body });
    return response;
  }
}

// --- the callback receiver --------------------------------------------------------------------

/** An HTTP server on 127.0.0.1 (port 0) that answers 200 to anything and remembers each request. */
class Receiver {
  constructor() {
    this.received = [];
    this.waiters = [];
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on("data", (chunk) => chunks.push(chunk));
      req.on("end", () => {
        this.received.push({
          method: req.method,
          path: req.url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
        for (const wake of this.waiters.splice(0)) wake();
      });
    });
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${this.server.address().port}`;
    this.server.unref(); // never what keeps the process alive
  }

  /** Every request received on ``path`` (path and query as given in the CallbackUrl, before the mock's). */
  on(path) {
    const extended = path + (path.includes("?") ? "&" : "?"); // a GET callback's parameters follow
    return this.received.filter((r) => r.path === path || r.path.startsWith(extended));
  }

  /** Wait until ``count`` requests reached ``path`` (or the timeout), then a little longer for extra ones. */
  async wait(path, count = 1) {
    const deadline = Date.now() + CALLBACK_TIMEOUT_MS;
    while (this.on(path).length < count && Date.now() < deadline) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, SECOND_CALLBACK_GRACE_MS));
    return this.on(path);
  }
}

// --- the scenario's context ---------------------------------------------------------------------

class Context {
  constructor(profile, baseUrl, receiver, name) {
    this.profile = profile;
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.receiver = receiver;
    this.name = name;
    this.log = [];
    this.callbacks = [];
  }

  get primary() {
    return this.profile.primary;
  }

  tokenFor(sid) {
    const account = this.profile.accounts.find((a) => a.sid === sid);
    assert.ok(account, `no account ${sid} in the profile`);
    return account.token;
  }

  /** A twilio-node client aimed at the mock: the Super SIM domain's baseUrl, nothing else changed. */
  client(accountSid, token) {
    const sid = accountSid ?? this.primary;
    const client = twilio(sid, token ?? this.tokenFor(sid), { httpClient: new CountingRequestClient(this.log) });
    client.supersim.baseUrl = this.baseUrl;
    return client;
  }

  get subaccounts() {
    return this.profile.accounts.filter((a) => a.role === "subaccount" && a.parent === this.primary);
  }

  simsOf(account) {
    return this.profile.sims.filter((s) => s.account === account);
  }

  /** Seed Sims of the primary account, as Profile.sims_by selects them (same order, same filters). */
  sims(status, { withFleet, named } = {}) {
    return this.simsOf(this.primary).filter(
      (s) =>
        (status === undefined || s.status === status) &&
        (withFleet === undefined || (s.fleet !== null) === withFleet) &&
        (named === undefined || (s.unique_name !== null) === named),
    );
  }

  fleets() {
    return this.profile.fleets.filter((f) => f.account === this.primary);
  }

  fleet(index) {
    return this.fleets()[index];
  }

  getsSince(mark) {
    return this.log.slice(mark).filter((entry) => entry.method === "GET").length;
  }

  /** Complete every scheduled update now: the mock's POST /_mock/flush (a control endpoint, not logged). */
  async settle() {
    const answer = await control(this.baseUrl, this.profile, "POST", "/_mock/flush");
    return answer.completed;
  }

  /** A CallbackUrl on this process's receiver, unique to the scenario, with a query string of its own. */
  callbackUrl(label) {
    return `${this.receiver.base}/callbacks/${this.name}/${label}?client=twilio-node`;
  }
}

/** One call to the mock's control endpoints (JSON, the primary account's Basic credentials). */
async function control(baseUrl, profile, method, path) {
  const account = profile.accounts.find((a) => a.sid === profile.primary);
  const auth = Buffer.from(`${account.sid}:${account.token}`).toString("base64");
  const response = await fetch(baseUrl.replace(/\/+$/, "") + path, {
    method,
    headers: { Authorization: `Basic ${auth}` },
  });
  assert.equal(response.status, 200, `${method} ${path}: ${response.status}`);
  return response.json();
}

// --- the scenarios ------------------------------------------------------------------------------

const SCENARIOS = new Map();
/** Requests that break the contract on purpose, to prove the violation log is not vacuous (not scenarios). */
const PROBES = new Map();

function scenario(name, family, summary, run, { violations = [] } = {}) {
  assert.ok(!SCENARIOS.has(name) && !PROBES.has(name), name);
  SCENARIOS.set(name, { name, family, summary, run, violations });
}

function probe(name, summary, run, violations) {
  assert.ok(!SCENARIOS.has(name) && !PROBES.has(name), name);
  PROBES.set(name, { name, family: "probe", summary, run, violations });
}

// --- what the client parses ---------------------------------------------------------------------

/** Every attribute of a parsed SimInstance: values, types, URLs. */
function checkSim(ctx, sim, { sid, uniqueName = null, accountSid, iccid, status, fleetSid = null } = {}) {
  assert.equal(sim.constructor.name, "SimInstance");
  assert.match(sim.sid, SIM_SID);
  if (sid !== undefined) assert.equal(sim.sid, sid);
  assert.equal(sim.uniqueName, uniqueName);
  assert.equal(sim.accountSid, accountSid ?? ctx.primary);
  if (iccid !== undefined) assert.equal(sim.iccid, iccid);
  assert.match(sim.iccid, /^[0-9]{18,22}$/);
  assert.equal(sim.status, status);
  assert.equal(sim.fleetSid, fleetSid);
  for (const stamp of [sim.dateCreated, sim.dateUpdated]) {
    assert.ok(stamp instanceof Date && !Number.isNaN(stamp.getTime()), `not a Date: ${stamp}`);
    assert.equal(stamp.getUTCMilliseconds(), 0); // the API gives whole seconds
  }
  assert.ok(sim.dateUpdated >= sim.dateCreated, `${sim.dateUpdated} < ${sim.dateCreated}`);
  assert.equal(sim.url, `${ctx.baseUrl}/v1/Sims/${sim.sid}`);
  // twilio-node 6 passes links through as received: snake_case keys, not camelCase
  assert.deepEqual(sim.links, { billing_periods: `${sim.url}/BillingPeriods`, sim_ip_addresses: `${sim.url}/IpAddresses` });
}

function checkSeed(ctx, sim, seed, changes = {}) {
  checkSim(ctx, sim, {
    sid: seed.sid,
    uniqueName: seed.unique_name,
    accountSid: seed.account,
    iccid: seed.iccid,
    status: seed.status,
    fleetSid: seed.fleet,
    ...changes,
  });
}

/** The action must reject with a RestException of that status and code, Twilio's message and more_info. */
async function restError(action, status, code) {
  let error;
  try {
    await action();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error !== undefined, `expected RestException ${status}/${code}, got no error`);
  assert.ok(error instanceof RestException, `expected RestException, got ${error?.constructor?.name}: ${error}`);
  assert.deepEqual([error.status, error.code], [status, code], error.message);
  assert.ok(error.message && !error.message.startsWith("[HTTP "), error.message); // the error body's message
  assert.equal(error.moreInfo, `https://www.twilio.com/docs/errors/${code}`);
  return error;
}

/** The callback of one asynchronous update: once, the documented parameters, a valid signature. */
async function checkCallback(ctx, url, method, seed, expected) {
  const given = new URL(url);
  const path = given.pathname + given.search;
  const received = await ctx.receiver.wait(path);
  ctx.callbacks.push(...received.map((r) => ({ method: r.method, path: r.path })));
  assert.equal(received.length, 1, `expected one callback on ${path}, got ${received.length}`);
  const [callback] = received;
  assert.equal(callback.method, method);
  const full = ctx.receiver.base + callback.path;
  let params;
  let signedParams;
  if (method === "GET") {
    assert.equal(callback.body, "");
    const query = new URL(full).searchParams;
    params = Object.fromEntries([...query].filter(([name]) => !given.searchParams.has(name)));
    signedParams = {}; // a GET is signed over the full URL, parameters included
  } else {
    assert.match(callback.headers["content-type"] ?? "", /^application\/x-www-form-urlencoded/);
    assert.equal(callback.path, path); // parameters in the body only
    params = Object.fromEntries(new URLSearchParams(callback.body));
    signedParams = params;
  }
  const wanted = { SimSid: seed.sid, SimStatus: expected.status, AccountSid: expected.accountSid ?? seed.account };
  if (seed.unique_name !== null) wanted.SimUniqueName = seed.unique_name;
  assert.deepEqual(params, wanted);
  const signature = callback.headers["x-twilio-signature"];
  assert.ok(signature, "no X-Twilio-Signature");
  const token = ctx.tokenFor(wanted.AccountSid);
  assert.ok(validateRequest(token, signature, full, signedParams), "X-Twilio-Signature does not validate");
  assert.ok(!validateRequest(WRONG_TOKEN, signature, full, signedParams), "the signature validates with any token");
}

// --- register and fetch ---------------------------------------------------------------------------

scenario("register", "register", "POST /v1/Sims registers a card: 201, a new Sim without fleet or name", async (ctx) => {
  const card = ctx.profile.registrable[0];
  const answer = await ctx.client().supersim.v1.sims.createWithHttpInfo({
    iccid: card.iccid,
    registrationCode: card.registration_code,
  });
  assert.equal(answer.statusCode, 201);
  const sim = answer.body;
  checkSim(ctx, sim, { iccid: card.iccid, status: "new" });
  assert.equal(sim.dateCreated.getTime(), sim.dateUpdated.getTime());
  const fetched = await ctx.client().supersim.v1.sims(sim.sid).fetch();
  checkSim(ctx, fetched, { sid: sim.sid, iccid: card.iccid, status: "new" });
});

scenario("fetch_by_sid", "fetch", "GET /v1/Sims/{Sid} by SID: every attribute as the profile says", async (ctx) => {
  const seed = ctx.sims("active", { withFleet: true, named: true })[0];
  const sim = await ctx.client().supersim.v1.sims(seed.sid).fetch();
  checkSeed(ctx, sim, seed);
  // dates are parsed as UTC whatever the process's TZ (the test runs node with a non-UTC TZ)
  const raw = ctx.log.at(-1).body;
  const body = typeof raw === "string" ? JSON.parse(raw) : raw;
  assert.equal(sim.dateCreated.toISOString().replace(".000Z", "Z"), body.date_created);
  assert.equal(sim.dateUpdated.toISOString().replace(".000Z", "Z"), body.date_updated);
});

scenario("fetch_by_name", "fetch", "GET /v1/Sims/{UniqueName}: the same Sim as by SID", async (ctx) => {
  const seed = ctx.sims("ready", { named: true })[0];
  const client = ctx.client();
  const byName = await client.supersim.v1.sims(seed.unique_name).fetch();
  checkSeed(ctx, byName, seed);
  assert.equal(byName.sid, (await client.supersim.v1.sims(seed.sid).fetch()).sid);
});

// --- filters ----------------------------------------------------------------------------------------

scenario("filter_status", "filter", "Status filter: only (and every) Sim in that status", async (ctx) => {
  const sims = await ctx.client().supersim.v1.sims.list({ status: "inactive" });
  const expected = ctx.sims("inactive");
  assert.deepEqual(
    sims.map((s) => s.sid),
    expected.map((s) => s.sid),
  );
  sims.forEach((sim, i) => checkSeed(ctx, sim, expected[i]));
});

scenario("filter_fleet_by_sid", "filter", "Fleet filter by fleet SID", async (ctx) => {
  const fleet = ctx.fleet(0);
  const sims = await ctx.client().supersim.v1.sims.list({ fleet: fleet.sid, pageSize: 50 });
  const expected = ctx.simsOf(ctx.primary).filter((s) => s.fleet === fleet.sid);
  assert.ok(expected.length > 0);
  assert.deepEqual(
    sims.map((s) => s.sid),
    expected.map((s) => s.sid),
  );
  assert.deepEqual([...new Set(sims.map((s) => s.fleetSid))], [fleet.sid]);
});

scenario("filter_fleet_by_name", "filter", "Fleet filter by fleet unique name", async (ctx) => {
  const fleet = ctx.fleet(1);
  const sims = await ctx.client().supersim.v1.sims.list({ fleet: fleet.unique_name });
  const expected = ctx.simsOf(ctx.primary).filter((s) => s.fleet === fleet.sid);
  assert.ok(expected.length > 0);
  assert.deepEqual(
    sims.map((s) => s.sid),
    expected.map((s) => s.sid),
  );
  sims.forEach((sim, i) => checkSeed(ctx, sim, expected[i]));
});

scenario("filter_iccid_found", "filter", "Iccid filter: exactly the one Sim with that ICCID", async (ctx) => {
  const seed = ctx.simsOf(ctx.primary)[10];
  const sims = await ctx.client().supersim.v1.sims.list({ iccid: seed.iccid });
  assert.equal(sims.length, 1);
  checkSeed(ctx, sims[0], seed);
});

scenario("filter_iccid_not_found", "filter", "Iccid filter with an ICCID no Sim has: an empty list, not an error", async (ctx) => {
  assert.deepEqual(await ctx.client().supersim.v1.sims.list({ iccid: UNKNOWN_ICCID }), []);
});

scenario(
  "filter_combined",
  "filter",
  "Status and Fleet together: only the Sims matching both (twilio-node sends both parameters)",
  async (ctx) => {
    const fleet = ctx.fleet(0);
    const sims = await ctx.client().supersim.v1.sims.list({ status: "active", fleet: fleet.unique_name });
    const expected = ctx.sims("active").filter((s) => s.fleet === fleet.sid);
    assert.ok(expected.length > 0);
    assert.deepEqual(
      sims.map((s) => s.sid),
      expected.map((s) => s.sid),
    );
    sims.forEach((sim, i) => checkSeed(ctx, sim, expected[i]));
    const query = new URL(ctx.log.at(-1).url).searchParams;
    assert.deepEqual([query.get("Status"), query.get("Fleet")], ["active", fleet.unique_name]);
  },
);

// --- pagination ---------------------------------------------------------------------------------------

scenario("pagination", "pagination", "list/each/page/nextPage across three pages, with limit and pageSize", async (ctx) => {
  const sims = ctx.client().supersim.v1.sims;
  const everything = ctx.simsOf(ctx.primary).map((s) => s.sid);
  assert.ok(everything.length > 100);

  let mark = ctx.log.length;
  assert.deepEqual(
    (await sims.list({ pageSize: 50 })).map((s) => s.sid),
    everything,
  );
  assert.equal(ctx.getsSince(mark), 3);

  mark = ctx.log.length;
  assert.deepEqual(
    (await sims.list({ limit: 45, pageSize: 20 })).map((s) => s.sid),
    everything.slice(0, 45),
  );
  assert.equal(ctx.getsSince(mark), 3);

  mark = ctx.log.length;
  const seen = [];
  await sims.each({ limit: 130, pageSize: 60 }, (sim) => seen.push(sim.sid));
  assert.deepEqual(seen, everything.slice(0, 130));
  assert.equal(ctx.getsSince(mark), 3);

  // pinned: list({limit}) without pageSize asks for PageSize=limit, one page
  mark = ctx.log.length;
  assert.deepEqual(
    (await sims.list({ limit: 5 })).map((s) => s.sid),
    everything.slice(0, 5),
  );
  assert.equal(ctx.getsSince(mark), 1);
  assert.equal(new URL(ctx.log.at(-1).url).searchParams.get("PageSize"), "5");

  const first = await sims.page({ pageSize: 50 });
  const second = await first.nextPage();
  const third = await second.nextPage();
  assert.deepEqual(
    [first, second, third].map((p) => p.instances.length),
    [50, 50, everything.length - 100],
  );
  assert.equal(first.previousPageUrl, undefined);
  assert.equal(third.nextPageUrl, undefined); // twilio-node: undefined, and nextPage() returns undefined
  assert.equal(third.nextPage(), undefined);
  assert.ok(second.nextPageUrl.startsWith(`${ctx.baseUrl}/v1/Sims?`), second.nextPageUrl);
  const back = await second.previousPage();
  assert.deepEqual(
    back.instances.map((s) => s.sid),
    everything.slice(0, 50),
  );
  const seeds = ctx.simsOf(ctx.primary).slice(100);
  third.instances.forEach((sim, i) => checkSeed(ctx, sim, seeds[i]));
});

// --- updates --------------------------------------------------------------------------------------------

scenario("update_unique_name", "update", "UniqueName: 200, renamed at once, fetchable by the new name", async (ctx) => {
  const seed = ctx.sims("new", { withFleet: false, named: false })[0];
  const client = ctx.client();
  const answer = await client.supersim.v1.sims(seed.sid).updateWithHttpInfo({ uniqueName: "client-renamed" });
  assert.equal(answer.statusCode, 200);
  checkSeed(ctx, answer.body, seed, { uniqueName: "client-renamed" });
  checkSeed(ctx, await client.supersim.v1.sims("client-renamed").fetch(), seed, { uniqueName: "client-renamed" });
});

scenario("update_fleet_sync", "update", "Fleet of a new Sim (by fleet unique name): synchronous, 200", async (ctx) => {
  const seed = ctx.sims("new", { withFleet: false, named: false })[1];
  const fleet = ctx.fleet(0);
  const answer = await ctx.client().supersim.v1.sims(seed.sid).updateWithHttpInfo({ fleet: fleet.unique_name });
  assert.equal(answer.statusCode, 200);
  checkSeed(ctx, answer.body, seed, { fleetSid: fleet.sid });
});

scenario(
  "update_callback_sync",
  "update",
  "CallbackUrl/CallbackMethod with a synchronous update (UniqueName): 200, and no callback (only asynchronous updates call back)",
  async (ctx) => {
    const seed = ctx.sims("new", { withFleet: false, named: false })[6];
    const url = ctx.callbackUrl("sync");
    const client = ctx.client();
    const answer = await client.supersim.v1
      .sims(seed.sid)
      .updateWithHttpInfo({ uniqueName: "client-callback", callbackUrl: url, callbackMethod: "GET" });
    assert.equal(answer.statusCode, 200);
    checkSeed(ctx, answer.body, seed, { uniqueName: "client-callback" });
    assert.equal(await ctx.settle(), 0); // nothing was scheduled
    const given = new URL(url);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(ctx.receiver.on(given.pathname + given.search), []);
  },
);

/** A status change: 202 scheduled, a flush, one signed callback, then the final status. */
async function asyncStatus(ctx, seed, newStatus, callbackMethod) {
  const client = ctx.client();
  const url = ctx.callbackUrl(newStatus);
  const params = { status: newStatus, callbackUrl: url };
  if (callbackMethod !== undefined) params.callbackMethod = callbackMethod;
  const answer = await client.supersim.v1.sims(seed.sid).updateWithHttpInfo(params);
  assert.equal(answer.statusCode, 202);
  checkSeed(ctx, answer.body, seed, { status: "scheduled" });
  await ctx.settle(); // 1 completed, or 0 if the mock's own (short) delay already completed it
  await checkCallback(ctx, url, callbackMethod ?? "POST", seed, { status: newStatus });
  const final = await client.supersim.v1.sims(seed.sid).fetch();
  checkSeed(ctx, final, seed, { status: newStatus });
  assert.ok(final.dateUpdated > answer.body.dateUpdated, "completing the update moves date_updated");
}

scenario(
  "update_status_activate",
  "async-update",
  "Activation new -> active: 202 scheduled, then active; POST callback (CallbackMethod not given) signed",
  (ctx) => asyncStatus(ctx, ctx.sims("new", { withFleet: true })[0], "active"),
);

scenario(
  "update_status_deactivate",
  "async-update",
  "Deactivation active -> inactive: 202 scheduled, then inactive; GET callback signed",
  (ctx) => asyncStatus(ctx, ctx.sims("active", { withFleet: true })[1], "inactive", "GET"),
);

scenario(
  "update_status_reactivate",
  "async-update",
  "Reactivation inactive -> active: 202 scheduled, then active; POST callback (CallbackMethod POST) signed",
  // Twilio activates only in a Fleet
  (ctx) => asyncStatus(ctx, ctx.sims("inactive", { withFleet: true })[0], "active", "POST"),
);

scenario(
  "update_fleet_async",
  "async-update",
  "Fleet change of an active Sim: 202 scheduled keeping the old fleet, then the new one; GET callback signed",
  async (ctx) => {
    const seed = ctx.sims("active", { withFleet: true })[2];
    const other = ctx.fleets().find((f) => f.sid !== seed.fleet);
    const client = ctx.client();
    const url = ctx.callbackUrl("fleet");
    const answer = await client.supersim.v1
      .sims(seed.sid)
      .updateWithHttpInfo({ fleet: other.sid, callbackUrl: url, callbackMethod: "GET" });
    assert.equal(answer.statusCode, 202);
    checkSeed(ctx, answer.body, seed, { status: "scheduled" }); // fleetSid is still the old one
    await ctx.settle(); // 1 completed, or 0 if the mock's own (short) delay already completed it
    await checkCallback(ctx, url, "GET", seed, { status: "active" });
    checkSeed(ctx, await client.supersim.v1.sims(seed.sid).fetch(), seed, { fleetSid: other.sid });
  },
);

scenario(
  "update_activate_with_fleet",
  "async-update",
  "Activation with a Fleet in the same request: 202 keeping fleet_sid null, then active in it; POST callback signed",
  async (ctx) => {
    const seed = ctx.sims("new", { withFleet: false, named: false })[4];
    const fleet = ctx.fleet(1);
    const client = ctx.client();
    const url = ctx.callbackUrl("activate-with-fleet");
    const answer = await client.supersim.v1
      .sims(seed.sid)
      .updateWithHttpInfo({ status: "active", fleet: fleet.unique_name, callbackUrl: url });
    assert.equal(answer.statusCode, 202);
    checkSeed(ctx, answer.body, seed, { status: "scheduled" }); // "the existing value of the fleet_sid property"
    await ctx.settle(); // 1 completed, or 0 if the mock's own (short) delay already completed it
    await checkCallback(ctx, url, "POST", seed, { status: "active" });
    checkSeed(ctx, await client.supersim.v1.sims(seed.sid).fetch(), seed, { status: "active", fleetSid: fleet.sid });
  },
);

scenario(
  "update_account_move",
  "update",
  "AccountSid moves a new Sim to a subaccount: 200; the subaccount sees it, the parent no longer",
  async (ctx) => {
    const seed = ctx.sims("new", { withFleet: false, named: false })[2];
    const sub = ctx.subaccounts[0].sid;
    const answer = await ctx.client().supersim.v1.sims(seed.sid).updateWithHttpInfo({ accountSid: sub });
    assert.equal(answer.statusCode, 200);
    checkSeed(ctx, answer.body, seed, { accountSid: sub });
    checkSeed(ctx, await ctx.client(sub).supersim.v1.sims(seed.sid).fetch(), seed, { accountSid: sub });
    await restError(() => ctx.client().supersim.v1.sims(seed.sid).fetch(), 404, 20404);
  },
);

// --- errors ----------------------------------------------------------------------------------------------

scenario("error_not_found", "error", "Unknown Sim: RestException 404 / 20404", async (ctx) => {
  const error = await restError(() => ctx.client().supersim.v1.sims(UNKNOWN_SID).fetch(), 404, 20404);
  // twilio-node's RestException carries no method or URI (twilio-python's does)
  assert.equal(error.method, undefined);
});

scenario("error_unauthorized", "error", "Wrong Auth Token: RestException 401 / 20003", async (ctx) => {
  const seed = ctx.sims("active")[0];
  await restError(() => ctx.client(ctx.primary, WRONG_TOKEN).supersim.v1.sims(seed.sid).fetch(), 401, 20003);
});

scenario(
  "error_page_size",
  "error",
  "PageSize 1001: 400 / 20001 (twilio-node rejects a failed list page with a RestException, unlike twilio-python)",
  async (ctx) => {
    const error = await restError(() => ctx.client().supersim.v1.sims.list({ pageSize: 1001 }), 400, 20001);
    assert.match(error.message, /PageSize/);
  },
  { violations: [["out-of-range", "PageSize"]] },
);

scenario(
  "error_unique_name_clash",
  "error",
  "UniqueName already used by another Sim of the account: RestException 409 / 83011",
  async (ctx) => {
    const taken = ctx.sims("ready", { named: true })[0].unique_name;
    const seed = ctx.sims("new", { withFleet: false, named: false })[3];
    const client = ctx.client();
    await restError(() => client.supersim.v1.sims(seed.sid).update({ uniqueName: taken }), 409, 83011);
    checkSeed(ctx, await client.supersim.v1.sims(seed.sid).fetch(), seed); // nothing changed
  },
);

scenario(
  "error_activate_without_fleet",
  "error",
  "Activation of a Sim without a Fleet: RestException 400 / 83007, nothing changed",
  async (ctx) => {
    const seed = ctx.sims("new", { withFleet: false, named: false })[5];
    const client = ctx.client();
    await restError(() => client.supersim.v1.sims(seed.sid).update({ status: "active" }), 400, 83007);
    checkSeed(ctx, await client.supersim.v1.sims(seed.sid).fetch(), seed);
  },
);

scenario(
  "error_bad_registration_code",
  "error",
  "Registration with a wrong RegistrationCode: RestException 400 / 83002",
  async (ctx) => {
    const card = ctx.profile.registrable[1];
    const wrong = card.registration_code !== "WRONGCODE0" ? "WRONGCODE0" : "WRONGCODE1";
    await restError(
      () => ctx.client().supersim.v1.sims.create({ iccid: card.iccid, registrationCode: wrong }),
      400,
      83002,
    );
  },
);

// --- probes: requests that break the contract on purpose ------------------------------------------------

probe(
  "probe_wrong_casing",
  "A raw request through twilio-node's client with pageSize (not PageSize): the mock must log parameter-casing",
  async (ctx) => {
    const client = ctx.client();
    const response = await client.request({ method: "get", uri: `${ctx.baseUrl}/v1/Sims`, params: { pageSize: 5 } });
    assert.equal(response.statusCode, 200); // the mock ignores the unknown casing (not --strict), but logs it
  },
  [["parameter-casing", "pageSize"]],
);

probe(
  "probe_json_body",
  "A raw update with a JSON body instead of a form: the mock must log form-encoding-required",
  async (ctx) => {
    const seed = ctx.sims("new", { withFleet: false, named: false })[0];
    const client = ctx.client();
    await client.request({
      method: "post",
      uri: `${ctx.baseUrl}/v1/Sims/${seed.sid}`,
      headers: { "Content-Type": "application/json" },
      data: { UniqueName: "json-body" },
    });
  },
  [["form-encoding-required", null]],
);

// --- running ----------------------------------------------------------------------------------------------

async function runOne(entry, profile, baseUrl, receiver) {
  const ctx = new Context(profile, baseUrl, receiver, entry.name);
  const started = performance.now();
  let error = null;
  try {
    await entry.run(ctx);
  } catch (caught) {
    error = caught?.stack ? String(caught.stack).split("\n").slice(0, 8).join("\n") : String(caught);
  }
  return {
    name: entry.name,
    family: entry.family,
    ok: error === null,
    error,
    requests: ctx.log.map(({ method, url, status }) => ({ method, url, status })),
    callbacks: ctx.callbacks,
    expected_violations: entry.violations,
    seconds: Math.round(performance.now() - started) / 1000,
  };
}

function lookup(name) {
  const entry = SCENARIOS.get(name) ?? PROBES.get(name);
  if (!entry) throw new Error(`unknown scenario ${JSON.stringify(name)}; known: ${[...SCENARIOS.keys()].join(", ")}`);
  return entry;
}

function print(line) {
  process.stdout.write(JSON.stringify(line) + "\n");
}

async function main(argv) {
  if (argv[0] === "--list") {
    for (const { name, family, summary, violations } of [...SCENARIOS.values(), ...PROBES.values()]) {
      print({ name, family, summary, expected_violations: violations, probe: PROBES.has(name) });
    }
    return 0;
  }
  const [baseUrl, ...rest] = argv;
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) {
    process.stderr.write("usage: node scenarios.mjs --list | BASE_URL [NAME ...|all|--stdin] (profile JSON on stdin)\n");
    return 2;
  }
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error("no profile on stdin (one JSON line: python -m tests.client_node.profile)");
  const profile = JSON.parse(first.value);
  const receiver = new Receiver();
  await receiver.start();

  if (rest[0] === "--stdin") {
    print({ ready: true, scenarios: [...SCENARIOS.keys()], probes: [...PROBES.keys()] });
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const name = next.value.trim();
      if (name) print(await runOne(lookup(name), profile, baseUrl, receiver));
    }
    return 0;
  }

  const names = rest.length === 0 || rest.includes("all") ? [...SCENARIOS.keys()] : rest;
  let failed = 0;
  for (const name of names) {
    const entry = lookup(name);
    await control(baseUrl, profile, "POST", "/_mock/flush");
    await control(baseUrl, profile, "POST", "/_mock/reset");
    const result = await runOne(entry, profile, baseUrl, receiver);
    const { violations } = await control(baseUrl, profile, "GET", "/_mock/violations");
    result.violations = violations.map((v) => [v.rule, v.parameter ?? null]);
    if (result.ok && JSON.stringify(result.violations) !== JSON.stringify(entry.violations)) {
      result.ok = false;
      result.error = `request violations ${JSON.stringify(result.violations)}, expected ${JSON.stringify(entry.violations)}`;
    }
    failed += result.ok ? 0 : 1;
    print(result);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (error) => {
    process.stderr.write(`${error?.stack ?? error}\n`);
    process.exit(2);
  },
);
