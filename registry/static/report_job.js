// The report job page: polls the job's status once a second and moves the progress bar until the
// report is done (then offers the download) or failed (then shows why).
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-bar");
  const percent = document.getElementById("job-percent");
  const message = document.getElementById("job-message");
  const error = document.getElementById("job-error");
  const done = document.getElementById("job-done");
  function show(job) {
    bar.value = job.progress;
    bar.textContent = job.progress + "%";
    percent.textContent = job.progress + "%";
    message.textContent = job.status + ": " + job.message;
    error.textContent = job.error || "";
    box.dataset.status = job.status;
    if (job.status === "done") {
      const report = box.dataset.reportUrl.replace("REPORT", job.report_id);
      document.getElementById("job-download").href = report + ".pdf";
      document.getElementById("job-report").href = report;
      done.hidden = false;
    }
  }
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        show(job);
        if (job.status === "queued" || job.status === "running") setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") poll();
})();
