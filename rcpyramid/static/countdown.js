// Counts down the wait an error page names (Retry-After), without reloading the page.
// Without script the page still says the time at which to try again.
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
    function words(seconds) {
      if (seconds >= 120) { return Math.ceil(seconds / 60) + " minutes"; }
      return seconds + (seconds === 1 ? " second" : " seconds");
    }
    function tick() {
      var seconds = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (seconds > 0) {
        shown.textContent = ", in " + words(seconds);
        window.setTimeout(tick, 1000);
      } else {
        shown.textContent = ": you can try again now";
        var ready = box.querySelector(".ready");
        if (ready) { ready.textContent = "You can try again now."; }
        if (again) { again.focus(); }
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
