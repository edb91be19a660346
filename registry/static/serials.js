// "Check a serial": validate as the user types, through POST /api/v1/serials/validate, and mark
// the characters that problems point at. Without this script the page still works as a form.
(function () {
  "use strict";
  const form = document.getElementById("serial-check");
  if (!form) return;
  const scheme = document.getElementById("scheme");
  const value = document.getElementById("value");
  const optionsBox = document.getElementById("options");
  const out = document.getElementById("serial-result");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  let schemes = {};
  let timer = null;
  let sequence = 0;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderOptions() {
    const known = schemes[scheme.value];
    if (!known) return;
    const previous = {};
    optionsBox.querySelectorAll("[data-option]").forEach((input) => { previous[input.dataset.option] = input.value; });
    optionsBox.replaceChildren();
    for (const option of known.options) {
      optionsBox.append(el("label", { for: "opt-" + option.name, title: option.help }, option.name));
      let input;
      if (option.choices.length) {
        input = el("select", { id: "opt-" + option.name, name: option.name, "data-option": option.name });
        for (const choice of option.choices) input.append(el("option", { value: choice }, choice));
        input.value = previous[option.name] || option.default;
      } else {
        input = el("input", { id: "opt-" + option.name, name: option.name, "data-option": option.name,
                              placeholder: option.help });
        input.value = previous[option.name] || "";
      }
      input.addEventListener("input", schedule);
      optionsBox.append(input);
    }
  }

  function options() {
    const chosen = {};
    optionsBox.querySelectorAll("[data-option]").forEach((input) => {
      if (input.value) chosen[input.dataset.option] = input.value;
    });
    return chosen;
  }

  function problemList(problems, cls) {
    const list = el("ul", { class: "problems " + cls });
    for (const p of problems) {
      const item = el("li", { "data-code": p.code });
      item.append(el("code", {}, p.code), document.createTextNode(" " + p.message));
      list.append(item);
    }
    return list;
  }

  function render(result) {
    const bad = new Set(result.errors.map((p) => p.position).filter(Boolean));
    const warn = new Set(result.warnings.map((p) => p.position).filter(Boolean));
    const verdict = el("p", { class: "verdict " + (result.valid ? "ok" : "bad"),
                              "data-verdict": result.valid ? "valid" : "invalid" },
                       result.valid ? "Valid" : "Not valid");
    const chars = el("p", { class: "serial-chars", "aria-label": "normalised serial" });
    Array.from(result.normalized).forEach((c, i) => {
      const position = i + 1;
      chars.append(el("span", { class: bad.has(position) ? "bad" : (warn.has(position) ? "warn" : ""),
                                title: "position " + position }, c));
    });
    const parts = [verdict, chars];
    if (result.errors.length) parts.push(problemList(result.errors, "errors"));
    if (result.warnings.length) parts.push(problemList(result.warnings, "warnings"));
    const facts = Object.entries(result.info).filter(([k]) => k !== "elements");
    if (facts.length) {
      const table = el("table", { class: "info" });
      for (const [k, v] of facts) {
        const row = el("tr");
        row.append(el("th", {}, k), el("td", {}, v !== null && typeof v === "object" ? JSON.stringify(v) : String(v)));
        table.append(row);
      }
      parts.push(table);
    }
    out.replaceChildren(...parts);
  }

  async function check() {
    const mine = ++sequence;
    if (!value.value) { out.replaceChildren(); return; }
    const response = await fetch(form.dataset.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      credentials: "same-origin",
      body: JSON.stringify({ scheme: scheme.value, value: value.value, options: options() }),
    });
    const body = await response.json();
    if (mine !== sequence) return;  // a newer keystroke's answer is on its way
    if (response.ok) {
      render(body);
      const url = new URL(window.location.href);
      url.search = new URLSearchParams({ scheme: scheme.value, value: value.value, ...options() }).toString();
      window.history.replaceState(null, "", url);
    } else {
      out.replaceChildren(el("p", { class: "verdict bad", "data-verdict": "error" }, body.detail || body.title));
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 150);
  }

  fetch(form.dataset.schemes, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((r) => r.json())
    .then((body) => {
      for (const s of body.schemes) schemes[s.name] = s;
      optionsBox.querySelectorAll("[data-option]").forEach((input) => input.addEventListener("input", schedule));
    });
  scheme.addEventListener("change", () => { renderOptions(); schedule(); });
  value.addEventListener("input", schedule);
  form.addEventListener("submit", (event) => { event.preventDefault(); check(); });
})();
