// The import job page: polls the job once a second and moves the progress bar; when the job ends,
// the page is loaded again to show the row report.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-bar");
  const percent = document.getElementById("job-percent");
  const message = document.getElementById("job-message");
  const error = document.getElementById("job-error");
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.progress;
        bar.textContent = job.progress + "%";
        percent.textContent = job.progress + "%";
        message.textContent = job.status + ": " + job.message;
        error.textContent = job.error || "";
        if (job.status === "queued" || job.status === "running") setTimeout(poll, 1000);
        else window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") poll();
})();
