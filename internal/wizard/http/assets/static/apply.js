// Managed apply page: buttons → API, the SSE feed → steps and live log.
"use strict";

(function () {
  const root = document.getElementById("apply");
  if (!root) return;
  const id = root.dataset.id;
  const base = "/api/v1/bootstraps/" + id;
  const logEl = document.getElementById("apply-log");
  const statusEl = document.getElementById("apply-status");
  const post = (path) => api("POST", base + path).then((r) => {
    if (!r.ok) statusEl.textContent = (r.data && r.data.message) || ("error " + r.status);
  });
  document.getElementById("apply-start").addEventListener("click", () => post("/apply"));
  document.getElementById("apply-destroy").addEventListener("click", () => {
    if (confirm("Destroy everything this apply created?")) post("/destroy");
  });
  document.getElementById("apply-approve").addEventListener("click", () => post("/apply/approve"));

  // EventSource resends Last-Event-ID itself when it reconnects.
  const es = new EventSource(base + "/apply/events");
  es.addEventListener("log", (m) => {
    logEl.textContent += JSON.parse(m.data).text + "\n";
    logEl.scrollTop = logEl.scrollHeight;
  });
  es.addEventListener("step", (m) => {
    const e = JSON.parse(m.data);
    const li = document.createElement("li");
    li.textContent = e.step + (e.by ? " by " + e.by : "") + " at " + e.at;
    document.getElementById("apply-steps").appendChild(li);
  });
  es.addEventListener("status", async (m) => {
    const e = JSON.parse(m.data);
    statusEl.textContent = e.text;
    if (e.text === "awaiting-approval" || e.text === "done" || e.text === "destroyed") {
      const r = await api("GET", base + "/apply");
      if (!r.ok) return;
      document.getElementById("apply-next").textContent = r.data.next;
      const plan = document.getElementById("plan");
      plan.hidden = !r.data.plan;
      document.getElementById("plan-text").textContent = r.data.plan || "";
      document.getElementById("apply-approve").disabled = r.data.next !== "approve";
      document.getElementById("apply-destroy").disabled = r.data.next !== "done";
    }
  });
})();
