// Live call logs and dashboard: new calls appear by themselves, without a reload.
//
// Every few seconds (never while the tab is hidden) the page asks the app's own
// /calls/updates how many calls came in since it was drawn: one cheap read, no call to
// RingCentral. When some did, the page fetches itself again and swaps only the parts
// marked data-live-part (the table, the figures, the chart), keeping what is above the
// person's view where it was, and leaving the form, its half-typed text and the focus
// alone. A polite status line says "2 new calls". Pages the person paged or sorted
// offer the new calls instead ("2 new calls: show"), so nothing moves under them.
(function () {
  "use strict";
  var INTERVAL = 4000;

  function start() {
    var box = document.getElementById("live");
    if (!box || !window.fetch || !window.DOMParser) { return; }
    var status = document.getElementById("live-status");
    var poll = box.getAttribute("data-poll");
    var since = parseInt(box.getAttribute("data-since"), 10) || 0;
    var mode = box.getAttribute("data-mode") || "offer";
    var refresh = box.getAttribute("data-refresh") || window.location.href;
    var timer = null;
    var busy = false;

    function say(text) {
      if (!status) { return; }
      status.textContent = text;
    }

    function words(count) {
      return count === 1 ? "1 new call" : count + " new calls";
    }

    // The first call row the person can see, and where it is: kept there after a swap.
    function anchor() {
      var rows = document.querySelectorAll("[data-live-part] tr[data-id]");
      for (var i = 0; i < rows.length; i += 1) {
        var top = rows[i].getBoundingClientRect().top;
        if (top >= 0) { return { id: rows[i].getAttribute("data-id"), top: top }; }
      }
      return null;
    }

    function swap(html, count) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      var parts = document.querySelectorAll("[data-live-part]");
      var scroller = document.scrollingElement || document.documentElement;
      var kept = anchor();
      var shift = 0;
      for (var i = 0; i < parts.length; i += 1) {
        var old = parts[i];
        if (!old.id) { continue; }
        var replacement = fresh.getElementById(old.id);
        if (!replacement) { continue; }
        if (old.contains(document.activeElement) && document.activeElement !== document.body) {
          continue; // the person is working in it: leave it
        }
        var before = old.getBoundingClientRect();
        var known = {};
        var rows = old.querySelectorAll("tr[data-id]");
        for (var r = 0; r < rows.length; r += 1) { known[rows[r].getAttribute("data-id")] = true; }
        var imported = document.importNode(replacement, true);
        old.parentNode.replaceChild(imported, old);
        var added = imported.querySelectorAll("tr[data-id]");
        for (var a = 0; a < added.length; a += 1) {
          if (rows.length && !known[added[a].getAttribute("data-id")]) { added[a].classList.add("fresh"); }
        }
        // A part that grew above the person's view must not push what they read.
        if (before.top < 0) { shift += imported.getBoundingClientRect().height - before.height; }
      }
      var again = kept && document.querySelector("tr[data-id='" + kept.id + "']");
      if (again) {
        scroller.scrollTop += again.getBoundingClientRect().top - kept.top;
      } else if (shift) {
        scroller.scrollTop += shift;
      }
      var fresher = fresh.getElementById("live");
      if (fresher) {
        since = parseInt(fresher.getAttribute("data-since"), 10) || since;
      }
      say(words(count) + " came in.");
    }

    function offer(count, newest) {
      if (!status) { return; }
      status.textContent = words(count) + ". ";
      var link = document.createElement("a");
      link.href = newest;
      link.textContent = "Show the newest calls";
      status.appendChild(link);
    }

    function check() {
      if (busy || document.hidden) { return; }
      busy = true;
      var url = poll + (poll.indexOf("?") < 0 ? "?" : "&") + "since=" + since;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (data) {
          if (!data) { return null; }
          var count = data.new_calls || 0;
          if (count <= 0) { return null; }
          if (mode !== "insert") {
            offer(count, box.getAttribute("data-newest") || refresh);
            return null;
          }
          return fetch(refresh, { credentials: "same-origin", headers: { Accept: "text/html" } })
            .then(function (answer) { return answer.ok ? answer.text() : null; })
            .then(function (html) { if (html) { swap(html, count); } });
        })
        .catch(function () { /* the next round tries again */ })
        .then(function () { busy = false; });
    }

    function run() {
      if (timer === null) { timer = window.setInterval(check, INTERVAL); }
    }

    function pause() {
      if (timer !== null) { window.clearInterval(timer); timer = null; }
    }

    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { pause(); } else { check(); run(); }
    });
    if (!document.hidden) { run(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
