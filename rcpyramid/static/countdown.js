// Counts down the wait an error page names (Retry-After), without reloading the page.
// Try again stays inactive until the wait is over, then comes back and takes the focus.
// Without script the page still says the time at which to try again, and the link works.
(function () {
  "use strict";
  function start() {
    var box = document.getElementById("retry");
    if (!box) { return; }
    var shown = box.querySelector(".countdown");
    var left = parseInt(box.getAttribute("data-seconds"), 10);
    if (!shown || isNaN(left)) { return; }
    var end = Date.now() + left * 1000;
    var again = document.getElementById("try-again");
    var address = again ? again.getAttribute("href") : null;
    function words(seconds) {
      if (seconds >= 120) { return Math.ceil(seconds / 60) + " minutes"; }
      return seconds + (seconds === 1 ? " second" : " seconds");
    }
    function hold(seconds) {
      if (!again) { return; }
      // A link without an address does nothing; aria-disabled says so to screen readers.
      again.removeAttribute("href");
      again.setAttribute("aria-disabled", "true");
      again.setAttribute("role", "link");
      again.setAttribute("title", "Available in " + words(seconds));
    }
    function release() {
      if (!again) { return; }
      if (address) { again.setAttribute("href", address); }
      again.removeAttribute("aria-disabled");
      again.removeAttribute("role");
      again.removeAttribute("title");
      again.focus();
    }
    function tick() {
      var seconds = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (seconds > 0) {
        shown.textContent = ", in " + words(seconds);
        hold(seconds);
        window.setTimeout(tick, 1000);
      } else {
        shown.textContent = "";
        var ready = box.querySelector(".ready");
        if (ready) {
          ready.textContent = " The wait is over: you can try again now.";
          ready.classList.remove("visually-hidden");
        }
        release();
      }
    }
    tick();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
