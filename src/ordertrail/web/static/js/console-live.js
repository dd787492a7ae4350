// Live console pages: the overview's counts and the parcel list follow scans without a reload and without polling.
// The server sends one small event per change to the signed-in person's merchants (/console/live); the page then
// re-reads itself once (changes within a moment are taken together) and swaps in its live regions, so what it
// shows is exactly what its filters select. Without this script, or without EventSource, the page works as is.
(function () {
  "use strict";
  var regions = document.querySelectorAll("[data-live-region]");
  if (!regions.length || !window.EventSource || !window.fetch || !window.DOMParser) return;
  var status = document.querySelector("[data-live-status]");
  var pending = null;
  var reading = false;
  var again = false;

  function refresh() {
    pending = null;
    if (reading) { again = true; return; }
    reading = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) throw new Error("not the page");
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement && replacement.innerHTML !== region.innerHTML) region.innerHTML = replacement.innerHTML;
        });
        if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
      })
      .catch(function () { /* signed out or offline: the page stays as it was */ })
      .then(function () {
        reading = false;
        if (again) { again = false; schedule(); }
      });
  }

  function schedule() {
    if (pending === null) pending = setTimeout(refresh, 300);
  }

  var source = new EventSource("/console/live");
  source.addEventListener("parcel", schedule);
  source.addEventListener("resync", schedule);
  // EventSource reconnects by itself; after a gap the page may have missed changes: read it once more.
  source.addEventListener("open", function () { if (status && status.textContent) schedule(); });
})();
