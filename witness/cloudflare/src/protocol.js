// Protocol v1 plumbing: validation, error codes and their HTTP statuses,
// mirroring internal/lease/protocol.go and validate.go.

export const MAX_EPOCH = Number.MAX_SAFE_INTEGER;
const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

const STATUS = {
  conflict: 409,
  expired: 410,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  unavailable: 503,
};

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export function json(status, body) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

export function errorResponse(code, message, extra = {}) {
  return json(STATUS[code] ?? 500, { ...extra, error: { code, message } });
}

export function statusOf(code) {
  return code ? STATUS[code] : 200;
}

export function checkName(field, v) {
  if (typeof v !== "string" || !NAME.test(v)) {
    throw new ProtocolError("bad_request",
      `${field} ${JSON.stringify(v)} is invalid: use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }
}

const isCount = (v) => Number.isSafeInteger(v) && v >= 0;

// parseBody is strict, like the Go witness: unknown fields are refused, since
// a condition the witness ignored would be a condition not checked.
export async function parseBody(request, allowed) {
  const text = await request.text();
  if (text.length > 4096) throw new ProtocolError("bad_request", "request body: larger than 4096 bytes");
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError("bad_request", `request body: ${e.message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ProtocolError("bad_request", "request body: want a JSON object");
  }
  for (const k of Object.keys(body)) {
    if (!allowed.includes(k)) throw new ProtocolError("bad_request", `request body: unknown field "${k}"`);
  }
  return body;
}

export function checkAcquire(b, limits) {
  checkName("holder", b.holder);
  if (!Number.isSafeInteger(b.ttlMs) || b.ttlMs < limits.minTtlMs || b.ttlMs > limits.maxTtlMs) {
    throw new ProtocolError("bad_request",
      `ttlMs ${JSON.stringify(b.ttlMs)} is out of range: this witness accepts ${limits.minTtlMs} to ${limits.maxTtlMs}`);
  }
  if (b.ifEpoch !== undefined && !isCount(b.ifEpoch)) {
    throw new ProtocolError("bad_request", `ifEpoch ${JSON.stringify(b.ifEpoch)} is invalid: use an epoch (0 to ${MAX_EPOCH})`);
  }
}

export function checkGrant(b) {
  checkName("holder", b.holder);
  if (!isCount(b.epoch) || b.epoch === 0) {
    throw new ProtocolError("bad_request",
      `epoch ${JSON.stringify(b.epoch)} is invalid: use the epoch your acquire returned (1 to ${MAX_EPOCH})`);
  }
}
