// The wizard's only script: forms → JSON API, errors next to their fields.
"use strict";

const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  try { data = await res.json(); } catch (_) { /* empty body */ }
  return { ok: res.ok, status: res.status, data };
}

// set puts value at a dotted path; numeric segments are array indexes.
function set(obj, path, value) {
  const keys = path.split(".");
  let cur = obj;
  keys.forEach((k, i) => {
    const last = i === keys.length - 1;
    const nextIsIndex = !last && /^\d+$/.test(keys[i + 1]);
    if (last) { cur[k] = value; return; }
    if (cur[k] === undefined) cur[k] = nextIsIndex ? [] : {};
    cur = cur[k];
  });
}

// prune drops empty objects and arrays, and holes in arrays.
function prune(v) {
  if (Array.isArray(v)) {
    const out = v.map(prune).filter((x) => x !== undefined);
    return out.length ? out : undefined;
  }
  if (v && typeof v === "object") {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      const p = prune(x);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

function collect(form) {
  const obj = {};
  const lists = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.dataset.type === "list") {
      lists[el.name] = lists[el.name] || [];
      if (el.checked) lists[el.name].push(el.value);
      continue;
    }
    const raw = el.value.trim();
    if (raw === "") continue;
    set(obj, el.name, el.dataset.type === "int" ? Number(raw) : raw);
  }
  const out = prune(obj) || {};
  for (const [k, v] of Object.entries(lists)) if (v.length) out[k] = v;
  return out;
}

// fieldKey turns spec.regions[0].location into regions.0.location.
function fieldKey(field) {
  return field.replace(/^spec\./, "").replace(/\[(\d+)\]/g, ".$1");
}

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const fe = form.querySelector(".form-error");
  if (fe) fe.textContent = "";
}

// showErrors puts each message under the closest field its path names.
function showErrors(form, errors, message) {
  const general = [];
  for (const e of errors || []) {
    let key = fieldKey(e.field);
    let slot = null;
    while (key && !(slot = form.querySelector(`[data-field="${CSS.escape(key)}"]`))) {
      key = key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "";
    }
    if (!slot) { general.push(e.message); continue; }
    const p = document.createElement("p");
    p.className = "error field-error";
    p.setAttribute("role", "alert");
    p.dataset.errorField = e.field;
    p.textContent = e.message;
    slot.appendChild(p);
    const input = slot.querySelector("input, select");
    if (input) input.setAttribute("aria-invalid", "true");
  }
  const fe = form.querySelector(".form-error");
  if (fe && (general.length || (!errors && message))) fe.textContent = general.join("\n") || message;
}

async function submitStep(form) {
  clearErrors(form);
  const url = `/api/v1/bootstraps/${form.dataset.id}/steps/${form.dataset.step}`;
  const res = await api("PUT", url, collect(form));
  if (res.ok) { location.href = form.dataset.next; return; }
  showErrors(form, res.data && res.data.errors, res.data ? res.data.message : `error ${res.status}`);
}

async function submitCredentials(form) {
  clearErrors(form);
  const body = {};
  for (const el of form.elements) if (el.name && el.hasAttribute("data-credential") && el.value.trim()) body[el.name] = el.value.trim();
  const res = await api("PUT", `/api/v1/bootstraps/${form.dataset.id}/credentials`, body);
  if (res.ok) { location.href = form.dataset.next; return; }
  showErrors(form, res.data && res.data.errors, res.data ? res.data.message : `error ${res.status}`);
}

document.addEventListener("submit", (ev) => {
  const form = ev.target;
  if (form.dataset.step) { ev.preventDefault(); submitStep(form); }
  else if (form.hasAttribute("data-credentials")) { ev.preventDefault(); submitCredentials(form); }
  else if (form.dataset.confirm && !confirm(form.dataset.confirm)) ev.preventDefault();
});

document.addEventListener("click", async (ev) => {
  const t = ev.target;
  if (t.id === "new-bootstrap") {
    const res = await api("POST", "/api/v1/bootstraps");
    if (res.ok) location.href = `/b/${res.data.id}/organisation`;
    else document.querySelector(".form-error").textContent = res.data ? res.data.message : `error ${res.status}`;
  } else if (t.hasAttribute("data-generate")) {
    const name = t.dataset.generate;
    const res = await api("POST", `/api/v1/bootstraps/${t.dataset.id}/credentials/generate?name=${encodeURIComponent(name)}`);
    const out = document.getElementById(`generated-${name}`);
    out.hidden = false;
    out.textContent = res.ok ? `${res.data.value}\n${res.data.notice}` : res.data.message;
    t.remove();
  } else if (t.hasAttribute("data-delete")) {
    if (!confirm(`Delete bootstrap ${t.dataset.id}? Its choices and every credential it holds are wiped.`)) return;
    const res = await api("DELETE", `/api/v1/bootstraps/${t.dataset.id}`);
    if (res.ok) location.reload();
    else document.querySelector(".form-error").textContent = res.data ? res.data.message : `error ${res.status}`;
  } else if (t.hasAttribute("data-complete")) {
    const res = await api("POST", `/api/v1/bootstraps/${t.dataset.id}/complete`);
    if (res.ok) { document.getElementById("completion").hidden = false; t.disabled = true; }
  }
});
