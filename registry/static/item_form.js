// Register-an-item form: check the serial as it is typed, through POST /api/v1/serials/validate,
// and say which character is wrong before the form is sent.
(function () {
  "use strict";
  const form = document.getElementById("register-item");
  if (!form) return;
  const serial = document.getElementById("serial");
  const scheme = document.getElementById("scheme");
  const out = document.getElementById("serial-feedback");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  let timer = null;
  let sequence = 0;

  async function check() {
    const mine = ++sequence;
    if (!serial.value) { out.textContent = ""; return; }
    const response = await fetch(form.dataset.endpoint, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ scheme: scheme.value, value: serial.value }),
    });
    const body = await response.json();
    if (mine !== sequence) return;
    out.className = "small " + (response.ok && body.valid ? "text-success" : "text-danger");
    out.dataset.valid = response.ok && body.valid ? "true" : "false";
    if (!response.ok) { out.textContent = body.detail || body.title; return; }
    if (body.valid) {
      out.textContent = "Valid " + scheme.value + " serial; search form " + body.normalized +
        (body.warnings.length ? " (" + body.warnings.map((w) => w.message).join("; ") + ")" : "");
    } else {
      out.textContent = body.errors.map((e) => e.message).join("; ");
    }
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(check, 150); }
  serial.addEventListener("input", schedule);
  scheme.addEventListener("change", schedule);
})();
