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

// 2. A request page follows its request until it is Ready or Failed.
var req = document.getElementById("request");
if (req && req.dataset.final !== "true") {
  setTimeout(function () { location.reload(); }, 5000);
}
