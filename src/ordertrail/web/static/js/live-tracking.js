// Live updates for the tracking page and the verified order view.
// The page works without this script; with it, each Server-Sent Event updates the headline, the progress
// and the timeline in place, and the stream reconnects by itself (resuming after the last id it saw).
(function () {
  "use strict";
  var main = document.querySelector("[data-live-stream]");
  if (!main || !window.EventSource) return;
  var baseUrl = main.getAttribute("data-live-stream").split("?")[0];
  var lastId = new URL(main.getAttribute("data-live-stream"), location.href).searchParams.get("after") || "";
  var badge = document.querySelector(".js-live");
  var badgeText = document.querySelector(".js-live-text");
  var PROBLEMS = { exception: true, delivery_attempted: true };
  var source = null;
  var retryTimer = null;

  function setBadge(state, text) {
    if (!badge) return;
    badge.setAttribute("data-state", state);
    badgeText.textContent = text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function eventItem(event) {
    var li = el("li", "event" + (PROBLEMS[event.status] ? " event-problem" : ""));
    li.setAttribute("data-sequence", event.sequence);
    li.setAttribute("data-occurred-at", event.occurred_at);
    li.appendChild(el("p", "event-status", event.status_label));
    if (event.detail) li.appendChild(el("p", "event-detail", event.detail));
    var meta = el("p", "event-meta");
    var time = el("time", null, event.occurred_local);
    // HTML's datetime takes at most three fractional-second digits; the document has six.
    time.setAttribute("datetime", event.occurred_at.replace(/(\.\d{1,3})\d*/, "$1"));
    meta.appendChild(time);
    if (event.place) meta.appendChild(el("span", "event-place", event.place));
    li.appendChild(meta);
    return li;
  }

  function insertEvent(section, event) {
    var list = section.querySelector(".js-timeline");
    if (list.querySelector('[data-sequence="' + event.sequence + '"]')) return;
    var item = eventItem(event);
    var when = Date.parse(event.occurred_at);
    // Newest first, by when it happened: a late scan lands where it belongs, not on top.
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      if (Date.parse(children[i].getAttribute("data-occurred-at")) <= when) {
        list.insertBefore(item, children[i]);
        item.classList.add("event-new");
        return;
      }
    }
    list.appendChild(item);
    item.classList.add("event-new");
  }

  function setProgress(section, progress) {
    if (progress === null || progress === undefined) return;
    var list = section.querySelector(".js-progress");
    var current = Math.max(progress, parseInt(list.getAttribute("data-progress"), 10) || 0);
    list.setAttribute("data-progress", current);
    var steps = list.querySelectorAll(".step");
    for (var i = 0; i < steps.length; i++) {
      var state = i < current ? "done" : i === current ? "current" : "todo";
      steps[i].className = "step step-" + state;
      if (state === "current") steps[i].setAttribute("aria-current", "step");
      else steps[i].removeAttribute("aria-current");
      steps[i].querySelector(".step-state").textContent =
        state === "done" ? "(done)" : state === "current" ? "(latest)" : "(not yet)";
    }
  }

  function setNotice(section, notice) {
    var box = section.querySelector(".js-notice");
    if (!notice) { box.hidden = true; return; }
    box.querySelector(".js-notice-happened").textContent = notice.happened;
    box.querySelector(".js-notice-next").textContent = notice.next;
    box.hidden = false;
  }

  function setEstimate(section, estimate, delay) {
    // The "arriving on" slot and the delay overlay follow the estimate each message carries.
    var value = section.querySelector(".js-eta-value");
    if (value) {
      value.textContent = estimate ? estimate.text : "";
      value.setAttribute("data-earliest", estimate ? estimate.earliest : "");
      value.setAttribute("data-latest", estimate ? estimate.latest : "");
    }
    var box = section.querySelector(".js-delay");
    if (box) {
      box.textContent = delay ? delay.message : "";
      box.hidden = !delay;
    }
  }

  function refresh(section, number) {
    // A correction changed earlier entries: rebuild the timeline from the public document.
    fetch("/api/v1/tracking/" + encodeURIComponent(number), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (doc) {
        if (!doc) return;
        var list = section.querySelector(".js-timeline");
        list.textContent = "";
        for (var i = doc.events.length - 1; i >= 0; i--) list.appendChild(eventItem(doc.events[i]));
      });
  }

  function apply(message) {
    var section = document.querySelector('[data-tracking-number="' + message.tracking_number + '"]');
    if (!section) return;
    var headline = section.querySelector(".headline");
    headline.setAttribute("data-status", message.status);
    section.querySelector(".js-status-label").textContent = message.status_label;
    if (message.event) {
      insertEvent(section, message.event);
      var latest = section.querySelector(".js-timeline li");
      if (latest) {
        var place = latest.querySelector(".event-place");
        section.querySelector(".js-latest").textContent =
          "Last update " + latest.querySelector("time").textContent + (place ? " · " + place.textContent : "");
      }
    }
    setProgress(section, message.progress);
    if ("notice" in message) setNotice(section, message.notice);
    if ("estimated_delivery" in message) setEstimate(section, message.estimated_delivery, message.delay);
    if (message.refresh) refresh(section, message.tracking_number);
    if (document.title.indexOf(" · ") > 0 && document.querySelectorAll("[data-tracking-number]").length === 1) {
      document.title = message.status_label + document.title.slice(document.title.indexOf(" · "));
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    source = new EventSource(baseUrl + (lastId ? "?after=" + encodeURIComponent(lastId) : ""));
    source.onopen = function () { setBadge("live", "Live"); };
    source.onmessage = function (event) {
      if (event.lastEventId) lastId = event.lastEventId;
      try { apply(JSON.parse(event.data)); } catch (error) { /* a malformed message is skipped */ }
    };
    source.onerror = function () {
      setBadge("reconnecting", "Reconnecting…");
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered 429): try again ourselves, resuming after lastId.
        source.close();
        retryTimer = setTimeout(connect, 5000);
      }
    };
  }

  connect();
})();
