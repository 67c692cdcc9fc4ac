// Offers the browser's own time zone beside RingCentral's in the time-zone choices.
// Without script the choices are RingCentral's zone, UTC and the others a page away.
(function () {
  "use strict";
  function start() {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return; }
    if (!zone || zone.indexOf("/") < 0) { return; }
    var selects = document.querySelectorAll("select[data-browser-zone]");
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      var first = select.querySelector("option");
      if (!first || select.querySelector("option[data-browser]")) { continue; }
      var option = document.createElement("option");
      option.value = zone;
      option.textContent = "Your browser's: " + zone;
      option.setAttribute("data-browser", "");
      first.parentNode.insertBefore(option, first.nextSibling);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
