// An open inventory audit's page: follows the counts every few seconds, so officers scanning at the
// same time see each other's progress; the serial field keeps the focus for the next scan.
(function () {
  "use strict";
  const box = document.getElementById("audit-counts");
  if (!box || box.dataset.status !== "open") return;
  const bar = document.getElementById("audit-bar");
  function show(counts) {
    for (const cell of box.querySelectorAll("[data-count]")) {
      const value = counts[cell.dataset.count];
      if (value !== undefined) cell.textContent = value;
    }
    bar.value = counts.done;
    bar.textContent = counts.done + "%";
  }
  function poll() {
    fetch(box.dataset.countsUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (counts) { show(counts); if (counts.status === "open") setTimeout(poll, 4000); })
      .catch(function () { setTimeout(poll, 8000); });
  }
  setTimeout(poll, 4000);
})();
