// After a refused form: put the banner at the top of the view and the focus on the field it names,
// so a keyboard or screen-reader user lands where the correction is to be made.
(function () {
  "use strict";
  const banner = document.getElementById("refusal");
  if (!banner) return;
  const field = banner.dataset.field && document.getElementById(banner.dataset.field);
  const panel = field && field.closest("details");
  if (panel) panel.open = true;
  (field || banner).focus({ preventScroll: true });
  banner.scrollIntoView({ block: "start" });
})();
