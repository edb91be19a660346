// A background job's page (a report, an import): polls the job's status once a second and moves the
// progress bar. When a report is done, the download appears; a page marked data-reload-when-ended
// (an import, whose row report the server lays out) is loaded again once the job has ended.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-bar");
  const percent = document.getElementById("job-percent");
  const message = document.getElementById("job-message");
  const error = document.getElementById("job-error");
  const done = document.getElementById("job-done");
  function running(job) { return job.status === "queued" || job.status === "running"; }
  // the words registry/labels.py gives a job's state (job_line)
  const STATES = {queued: "Waiting for a worker", running: "Working", done: "Done", failed: "Not made", refused: "Refused"};
  const PLAIN = ["done", "refused", "failed", "starting", "not queued"];
  function line(job) {
    const said = STATES[job.status] || job.status;
    const extra = (job.message || "").trim();
    if (!extra || extra.toLowerCase() === job.status || extra.toLowerCase() === said.toLowerCase() ||
        PLAIN.indexOf(extra.toLowerCase()) >= 0) return said;
    return said + " · " + extra;
  }
  function show(job) {
    bar.value = job.progress;
    bar.textContent = job.progress + "%";
    percent.textContent = job.progress + "%";
    message.textContent = line(job);
    error.textContent = job.error || "";
    box.dataset.status = job.status;
    if (job.status === "done" && box.dataset.reportUrl && done) {
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
        if (running(job)) setTimeout(poll, 1000);
        else if ("reloadWhenEnded" in box.dataset) window.location.reload();
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (running(box.dataset)) poll();
})();
