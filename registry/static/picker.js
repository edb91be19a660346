// Pickers that search as you type. A select with data-picker="URL" becomes a text box whose list of
// matches comes from URL?q=...: the select stays in the form (hidden) and carries the chosen value, so
// the server sees what it always saw. A text input with data-lookup="URL" offers matches for its own
// text (a serial) and keeps what was typed when nothing is chosen. ARIA 1.2 combobox pattern: arrows
// move through the list, Enter chooses, Escape closes; the number of matches is announced.
(function () {
  "use strict";
  let made = 0;

  function attach(input, url, extra, choose) {
    const name = "picker-" + ++made;
    const list = document.createElement("ul");
    const status = document.createElement("div");
    const wrap = document.createElement("div");
    list.id = name + "-list";
    list.className = "picker-list list-group shadow-sm";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.autocomplete = "off";
    wrap.className = "picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.append(input, list, status);
    let results = [];
    let active = -1;
    let asked = 0;
    let timer = null;

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark(index) {
      active = index;
      list.querySelectorAll("[role=option]").forEach(function (option, at) {
        option.setAttribute("aria-selected", at === index ? "true" : "false");
        option.classList.toggle("active", at === index);
        if (at === index) {
          input.setAttribute("aria-activedescendant", option.id);
          option.scrollIntoView({ block: "nearest" });
        }
      });
    }

    function render() {
      list.replaceChildren();
      results.forEach(function (found, at) {
        const option = document.createElement("li");
        option.id = name + "-option-" + at;
        option.className = "list-group-item list-group-item-action py-1";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.index = String(at);
        option.textContent = found.label;
        if (found.hint) {
          const hint = document.createElement("small");
          hint.className = "d-block text-secondary";
          hint.textContent = found.hint;
          option.append(hint);
        }
        list.append(option);
      });
      status.textContent = results.length
        ? results.length + (results.length === 1 ? " match" : " matches") + ": use the arrow keys to choose"
        : "no match";
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      active = -1;
    }

    async function search() {
      const typed = input.value.trim();
      const ticket = ++asked;
      if (!typed) {
        results = [];
        close();
        return;
      }
      const query = new URLSearchParams(Object.assign({ q: typed }, extra));
      try {
        const response = await fetch(url + "?" + query, { headers: { Accept: "application/json" } });
        if (!response.ok || ticket !== asked) return;
        const answer = await response.json();
        if (ticket !== asked) return;
        results = answer.results || [];
      } catch (error) {
        return; // offline or signed out: the field keeps what was typed, the server will say
      }
      render();
    }

    function pick(index) {
      const found = results[index];
      if (!found) return;
      choose(found);
      close();
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) {
          search();
          return;
        }
        const step = event.key === "ArrowDown" ? 1 : -1;
        mark((active + step + results.length) % results.length);
      } else if (event.key === "Enter" && !list.hidden && active >= 0) {
        event.preventDefault();
        pick(active);
      } else if (event.key === "Escape" && !list.hidden) {
        event.preventDefault();
        close();
      }
    });
    input.addEventListener("blur", function () {
      setTimeout(close, 200);
    });
    list.addEventListener("mousedown", function (event) {
      const option = event.target.closest("[role=option]");
      if (option) {
        event.preventDefault();
        pick(Number(option.dataset.index));
      }
    });
  }

  // A select of parties: the text box takes the select's id (so its label, error and the refusal
  // banner's focus land on it); the select keeps its name and carries the chosen id.
  document.querySelectorAll("select[data-picker]").forEach(function (select) {
    const input = document.createElement("input");
    const chosen = select.selectedOptions[0];
    input.type = "text";
    input.className = select.className.replace("form-select", "form-control");
    input.value = chosen && chosen.value ? chosen.textContent : "";
    input.placeholder = select.dataset.placeholder || "type a name or licence number";
    ["aria-describedby", "aria-invalid", "required"].forEach(function (attribute) {
      if (select.hasAttribute(attribute)) input.setAttribute(attribute, select.getAttribute(attribute));
    });
    input.id = select.id;
    select.id = select.id + "-value";
    select.hidden = true;
    select.tabIndex = -1;
    select.parentNode.insertBefore(input, select);
    const extra = select.dataset.kind ? { kind: select.dataset.kind } : {};
    attach(input, select.dataset.picker, extra, function (found) {
      let option = Array.from(select.options).find(function (o) { return o.value === found.value; });
      if (!option) {
        option = new Option(found.label, found.value);
        select.add(option);
      }
      select.value = found.value;
      input.value = found.label;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    input.addEventListener("input", function () {
      if (!input.value.trim()) select.value = "";
    });
  });

  // A text input for a serial: choosing a match writes its serial in the box.
  document.querySelectorAll("input[data-lookup]").forEach(function (input) {
    attach(input, input.dataset.lookup, {}, function (found) {
      input.value = found.serial || found.label;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
})();
