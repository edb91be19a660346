// A box that scrolls sideways (a wide table on a phone, a long command) can be reached and scrolled
// with the keyboard: while its content is wider than the box it takes the focus in the tab order and
// is named as a region; once it fits again it leaves the tab order.
(function () {
  "use strict";
  const boxes = document.querySelectorAll("main table.table, main pre, main .table-responsive");

  function mark() {
    boxes.forEach(function (box) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scroller = "1";
        if (box.tagName !== "TABLE") {
          box.setAttribute("role", "region");
          box.setAttribute("aria-label", box.id ? box.id.replace(/-/g, " ") : "scrolling content");
        }
      } else if (!scrolls && box.dataset.scroller) {
        box.removeAttribute("tabindex");
        delete box.dataset.scroller;
      }
    });
  }

  mark();
  window.addEventListener("resize", mark);
})();
