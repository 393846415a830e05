// The portal works without this script; it only adds two comforts.
"use strict";

// 1. A hint beside a field as soon as the browser knows its value breaks
//    the field's constraints. The server stays the judge on submit.
document.querySelectorAll("form#claim input, form#claim select").forEach(function (el) {
  el.addEventListener("change", function () {
    var slot = document.getElementById("e-" + el.name);
    if (!slot || !el.willValidate) return;
    var ok = el.checkValidity();
    slot.textContent = ok ? "" : el.validationMessage;
    el.closest(".field").classList.toggle("invalid", !ok);
    if (ok) el.removeAttribute("aria-invalid"); else el.setAttribute("aria-invalid", "true");
  });
});

// 2. A request page follows its request until it is Ready or Failed: the
//    server pushes each change (Server-Sent Events); the phase and message
//    change in place, and the page reloads when the pull request or the
//    end arrives. Without EventSource, or when the stream keeps failing,
//    it reloads every 5 s instead.
var req = document.getElementById("request");
if (req && req.dataset.final !== "true") {
  var reload = function () { setTimeout(function () { location.reload(); }, 5000); };
  if (!window.EventSource) {
    reload();
  } else {
    var es = new EventSource(req.dataset.events), failures = 0;
    es.addEventListener("request", function (e) {
      failures = 0;
      var v = JSON.parse(e.data);
      var pr = v.pullRequest ? String(v.pullRequest.number) : "";
      if (v.final || pr !== req.dataset.pr) { es.close(); location.reload(); return; }
      var phase = document.getElementById("phase");
      phase.textContent = v.phase;
      phase.className = "phase phase-" + v.phase;
      document.getElementById("reason").textContent = v.reason || "";
      document.getElementById("message").textContent = v.message || "";
    });
    es.onerror = function () {
      if (++failures >= 3) { es.close(); reload(); }
    };
  }
}
