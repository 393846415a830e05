// The lease rules of protocol v1, a port of internal/lease/lease.go (the
// reference; keep the two in step, the Go conformance suite checks both).
// Pure: (lease, request, now in ms) -> [next lease, result]. No I/O, no clock.

export const FREE = "free";
export const HELD = "held";
export const EXPIRED = "expired";
export const RELEASED = "released";

// A lease: { name, holder, epoch, ttlMs, expiresAt, released }; epoch 0 is a
// lease never granted. expiresAt is on the witness clock (ms).
export function blank(name) {
  return { name, holder: "", epoch: 0, ttlMs: 0, expiresAt: 0, released: false };
}

export function statusAt(l, now) {
  if (l.epoch === 0) return FREE;
  if (l.released) return RELEASED;
  return now < l.expiresAt ? HELD : EXPIRED;
}

export function view(l, now) {
  const status = statusAt(l, now);
  const v = { name: l.name, epoch: l.epoch, status, remainingMs: status === HELD ? l.expiresAt - now : 0 };
  if (l.holder) v.holder = l.holder;
  if (l.ttlMs) v.ttlMs = l.ttlMs;
  return v;
}

const extend = (l, ttlMs, now, outcome) => {
  const next = { ...l, ttlMs, expiresAt: now + ttlMs };
  return [next, { outcome }];
};
const refuse = (l, outcome, reason) => [l, { outcome, reason }];

function notCurrent(l, holder, epoch) {
  if (l.epoch === 0) return `lease "${l.name}" was never granted`;
  return `lease "${l.name}": the current grant is epoch ${l.epoch} to "${l.holder}", not epoch ${epoch} to "${holder}"`;
}

export function acquire(l, { holder, ttlMs, ifEpoch }, now) {
  const held = statusAt(l, now) === HELD;
  const mine = held && l.holder === holder;
  if (ifEpoch !== undefined && ifEpoch !== l.epoch) {
    // a retried acquire that already succeeded sees the epoch it created
    if (mine && l.epoch === ifEpoch + 1) return extend(l, ttlMs, now, "extended");
    return refuse(l, "conflict", `lease "${l.name}" is at epoch ${l.epoch}, not the expected ${ifEpoch}`);
  }
  if (mine) return extend(l, ttlMs, now, "extended");
  if (held) return refuse(l, "conflict", `lease "${l.name}" is held by "${l.holder}" at epoch ${l.epoch}`);
  const next = { name: l.name, holder, epoch: l.epoch + 1, ttlMs, expiresAt: now + ttlMs, released: false };
  return [next, { outcome: "granted" }];
}

export function renew(l, { holder, epoch }, now) {
  if (holder !== l.holder || epoch !== l.epoch || l.epoch === 0) {
    return refuse(l, "conflict", notCurrent(l, holder, epoch));
  }
  const st = statusAt(l, now);
  if (st === HELD) return extend(l, l.ttlMs, now, "renewed");
  return refuse(l, "expired", `grant ${l.epoch} of lease "${l.name}" is ${st}; acquire the lease again`);
}

export function release(l, { holder, epoch }, now) {
  if (holder !== l.holder || epoch !== l.epoch || l.epoch === 0) {
    return refuse(l, "conflict", notCurrent(l, holder, epoch));
  }
  if (statusAt(l, now) !== HELD) return [l, { outcome: "released" }];
  return [{ ...l, released: true, expiresAt: now }, { outcome: "released" }];
}

export function read(l) {
  return [l, { outcome: "read" }];
}
