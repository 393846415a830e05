// OpenOva lease witness on Cloudflare: protocol v1 (docs/witness-protocol.md).
// The Worker authenticates and validates; one Durable Object per lease name
// decides, in one storage transaction per request, so the answer leaves
// only after the state it reports is stored.
import * as rules from "./lease.js";
import {
  ProtocolError, checkAcquire, checkGrant, checkName, errorResponse, json, parseBody, statusOf,
} from "./protocol.js";

const ROUTE = /^\/v1\/leases\/([^/]+)(?:\/(acquire|renew|release))?$/;

export default {
  async fetch(request, env) {
    try {
      return await route(request, env);
    } catch (e) {
      if (e instanceof ProtocolError) return errorResponse(e.code, e.message);
      console.error("witness: unexpected failure", e && e.stack);
      return errorResponse("unavailable", "the witness failed to answer; retry");
    }
  },
};

async function route(request, env) {
  const url = new URL(request.url);
  const m = url.pathname.match(ROUTE);
  const op = m ? (m[2] ?? "read") : "";
  if (!m || request.method !== (op === "read" ? "GET" : "POST")) {
    return errorResponse("not_found", `no route ${request.method} ${url.pathname}: see docs/witness-protocol.md`);
  }
  const region = await authenticate(request, env);
  const name = decodeURIComponent(m[1]);
  checkName("lease name", name);
  let body = {};
  if (op === "acquire") {
    body = await parseBody(request, ["holder", "ttlMs", "ifEpoch"]);
    checkAcquire(body, limits(env));
  } else if (op !== "read") {
    body = await parseBody(request, ["holder", "epoch"]);
    checkGrant(body);
  }
  if (op !== "read" && body.holder !== region) {
    throw new ProtocolError("forbidden", `the credential of region "${region}" may not act as holder "${body.holder}"`);
  }
  const stub = env.LEASES.get(env.LEASES.idFromName(name));
  return stub.fetch("https://lease.internal/", { method: "POST", body: JSON.stringify({ op, name, body }) });
}

function limits(env) {
  return {
    minTtlMs: Number(env.MIN_TTL_MS ?? 500),
    maxTtlMs: Number(env.MAX_TTL_MS ?? 600000),
  };
}

// CREDENTIALS (a secret) is the JSON form of the Go witness's credentials
// file: {"regions": {"<region>": ["sha256:<hex>", ...]}}. Only hashes.
let parsed = { raw: undefined, entries: [] };
function credentials(env) {
  if (parsed.raw === env.CREDENTIALS) return parsed.entries;
  let regions;
  try {
    regions = JSON.parse(env.CREDENTIALS ?? "").regions;
  } catch {
    regions = undefined;
  }
  if (!regions || typeof regions !== "object") {
    throw new ProtocolError("unavailable", "witness misconfigured: the CREDENTIALS secret is missing or not {\"regions\": {...}}");
  }
  const entries = [];
  for (const [region, hashes] of Object.entries(regions)) {
    for (const h of Array.isArray(hashes) ? hashes : []) {
      if (typeof h === "string" && /^sha256:[0-9a-f]{64}$/.test(h)) entries.push({ region, hex: h.slice(7) });
    }
  }
  parsed = { raw: env.CREDENTIALS, entries };
  return entries;
}

async function authenticate(request, env) {
  const entries = credentials(env);
  const header = request.headers.get("authorization") ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (token) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    let found = "";
    for (const e of entries) {
      // compare every entry in full, so timing says nothing
      let diff = 0;
      for (let i = 0; i < 64; i++) diff |= hex.charCodeAt(i) ^ e.hex.charCodeAt(i);
      if (diff === 0) found = e.region;
    }
    if (found) return found;
  }
  throw new ProtocolError("unauthorized", "missing or unknown bearer token");
}

const apply = {
  read: (l) => rules.read(l),
  acquire: (l, b, now) => rules.acquire(l, b, now),
  renew: (l, b, now) => rules.renew(l, b, now),
  release: (l, b, now) => rules.release(l, b, now),
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Lease is one lease's Durable Object. Its clock is Cloudflare's wall clock,
// floored by the highest reading it ever stored, so it never goes back.
export class Lease {
  constructor(ctx) {
    this.storage = ctx.storage;
  }

  async fetch(request) {
    const { op, name, body } = await request.json();
    const { status, reply } = await this.storage.transaction(async (txn) => {
      const floor = (await txn.get("clock")) ?? 0;
      const now = Math.max(Date.now(), floor);
      const cur = (await txn.get("lease")) ?? rules.blank(name);
      const [next, res] = apply[op](cur, body, now);
      const v = rules.view(next, now);
      const writes = {};
      if (!same(cur, next)) writes.lease = next;
      // a reported expiry must survive a restart, whatever the clock does
      if (writes.lease || (v.status === rules.EXPIRED && floor < next.expiresAt)) writes.clock = now;
      if (Object.keys(writes).length) await txn.put(writes);
      const code = { conflict: "conflict", expired: "expired" }[res.outcome];
      const reply = { outcome: res.outcome, lease: v };
      if (code) reply.error = { code, message: res.reason };
      return { status: statusOf(code), reply };
    });
    return json(status, reply);
  }
}
