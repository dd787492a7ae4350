// The bulk label form (/labels): sign in with a merchant or admin key kept on this device, paste order numbers,
// and download one PDF from POST /api/v1/labels.pdf. Errors are shown in plain words next to the form and the
// typed numbers are never cleared, so a fix is one edit away.
(function () {
  "use strict";
  var KEY_STORE = "ordertrail.labels.key"; // {key, name, role}
  var LAYOUT_STORE = "ordertrail.labels.layout";
  var $ = function (selector) { return document.querySelector(selector); };

  var signinForm = $(".js-signin");
  var labelsForm = $(".js-labels");
  var textarea = $("#order-numbers");
  var printButton = $(".js-print");
  var againLink = $(".js-again");
  var maxOrders = Number(labelsForm.getAttribute("data-max-orders"));
  var maxLength = Number(labelsForm.getAttribute("data-max-length"));
  var lastUrl = null;

  // ---- the key on this device -------------------------------------------------------------------------

  function account() {
    try {
      var stored = JSON.parse(localStorage.getItem(KEY_STORE));
      return stored && typeof stored.key === "string" ? stored : null;
    } catch (_) {
      return null;
    }
  }

  function show() {
    var signedIn = account();
    signinForm.hidden = !!signedIn;
    labelsForm.hidden = !signedIn;
    $(".js-who").hidden = !signedIn;
    $(".js-admin-only").hidden = !(signedIn && signedIn.role === "admin");
    if (signedIn) $(".js-who-name").textContent = signedIn.name + " · " + signedIn.role + " key";
  }

  function message(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  function scannerRefusal() {
    return "A scanner key cannot print labels: only merchant and admin keys can. Sign in with one of those.";
  }

  signinForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var error = $(".js-signin-error");
    var input = $("#api-key");
    var key = input.value.trim();
    message(error, "");
    if (!key) return message(error, "Type or paste an API key.");
    var response;
    try {
      response = await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + key } });
    } catch (_) {
      return message(error, "No connection to the server: check the network and try again.");
    }
    if (response.status === 401) {
      input.focus();
      return message(error, "That key was not accepted: it is mistyped, unknown or revoked.");
    }
    if (!response.ok) return message(error, "The server could not check the key (error " + response.status + "). Try again.");
    var me = await response.json();
    if (me.role !== "merchant" && me.role !== "admin") {
      input.focus();
      return message(error, me.role === "scanner" ? scannerRefusal() : "Use a merchant or admin key.");
    }
    localStorage.setItem(KEY_STORE, JSON.stringify({ key: key, name: me.name, role: me.role }));
    signinForm.reset();
    show();
    textarea.focus();
  });

  $(".js-signout").addEventListener("click", function () {
    localStorage.removeItem(KEY_STORE);
    clearResult();
    message($(".js-print-error"), "");
    show();
    $("#api-key").focus();
  });

  // ---- order numbers ----------------------------------------------------------------------------------

  // Lines, commas and any whitespace separate numbers; the first of each repeat keeps its place.
  function orderNumbers() {
    var seen = Object.create(null);
    return textarea.value.split(/[\s,]+/).filter(function (number) {
      if (!number || seen[number]) return false;
      seen[number] = true;
      return true;
    });
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function updateCount() {
    var numbers = orderNumbers();
    var typed = textarea.value.split(/[\s,]+/).filter(Boolean).length;
    var text = numbers.length ? plural(numbers.length, "order", "orders") : "No orders yet";
    if (typed > numbers.length) text += " (" + plural(typed - numbers.length, "repeat", "repeats") + " left out)";
    $(".js-count").textContent = text;
    $(".js-count").classList.toggle("count-over", numbers.length > maxOrders);
  }

  textarea.addEventListener("input", updateCount);

  // ---- layout, remembered on this device --------------------------------------------------------------

  var savedLayout = localStorage.getItem(LAYOUT_STORE);
  labelsForm.querySelectorAll("input[name=layout]").forEach(function (radio) {
    if (radio.value === savedLayout) radio.checked = true;
    radio.addEventListener("change", function () { localStorage.setItem(LAYOUT_STORE, radio.value); });
  });

  // ---- printing ---------------------------------------------------------------------------------------

  function clearResult() {
    message($(".js-print-status"), "");
    againLink.hidden = true;
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = null;
  }

  function showError(text) {
    message($(".js-print-error"), text);
  }

  function checkBeforeSending(numbers) {
    if (!numbers.length) return "Type or paste at least one order number.";
    if (numbers.length > maxOrders) {
      return "At most " + maxOrders + " orders at once, and there are " + numbers.length + ": print them in batches.";
    }
    var long = numbers.find(function (number) { return number.length > maxLength; });
    if (long) return "This is too long for an order number (at most " + maxLength + " characters): " + long.slice(0, 40) + "…";
    return "";
  }

  // The filename the server gave (Content-Disposition), else a sensible default.
  function filenameOf(response) {
    var header = response.headers.get("Content-Disposition") || "";
    var encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
    if (encoded) {
      try { return decodeURIComponent(encoded[1].trim()); } catch (_) { /* fall through to the plain name */ }
    }
    var plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
    return plain ? plain[1].trim() : "labels.pdf";
  }

  // problem+json in plain words; the API's own detail where it names what to fix (unknown order numbers...).
  async function explain(response) {
    var problem = {};
    try { problem = await response.json(); } catch (_) { /* not JSON: the status alone explains it */ }
    var detail = typeof problem.detail === "string" ? problem.detail : "";
    switch (response.status) {
      case 401:
        return "This key is no longer accepted (it may have been revoked). Sign out and sign in with a valid key.";
      case 403:
        return "This key may not print labels: only merchant and admin keys can. Sign out and sign in with one of those.";
      case 404:
        return (detail || "Some orders were not found.") + " Check or remove these numbers and print again.";
      case 413:
        return "That is more than the server takes in one request. Print the orders in smaller batches.";
      case 422: {
        var reasons = (problem.errors || [])
          .map(function (e) { return e.reason; })
          .filter(function (reason) { return reason && reason !== detail; });
        return [detail || "Some input was not accepted."].concat(reasons).join(" ");
      }
      case 429:
        return "Too many requests just now. Wait a moment and print again.";
      default:
        return "The server could not make the labels (error " + response.status + "). Try again in a moment.";
    }
  }

  function save(blob, filename) {
    lastUrl = URL.createObjectURL(blob);
    againLink.href = lastUrl;
    againLink.download = filename;
    againLink.hidden = false;
    againLink.click();
  }

  labelsForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    var signedIn = account();
    if (!signedIn) return show();
    clearResult();
    showError("");
    var numbers = orderNumbers();
    var problem = checkBeforeSending(numbers);
    if (problem) {
      showError(problem);
      textarea.focus();
      return;
    }
    var body = { order_numbers: numbers, layout: labelsForm.querySelector("input[name=layout]:checked").value };
    var merchant = $("#merchant").value.trim();
    if (signedIn.role === "admin" && merchant) body.merchant = merchant;

    printButton.disabled = true;
    printButton.textContent = "Making labels…";
    labelsForm.setAttribute("aria-busy", "true");
    try {
      var response = await fetch("/api/v1/labels.pdf", {
        method: "POST",
        headers: { Authorization: "Bearer " + signedIn.key, "Content-Type": "application/json", Accept: "application/pdf" },
        body: JSON.stringify(body),
      });
      if (!response.ok) {
        showError(await explain(response));
        if (response.status === 404) textarea.focus(); // the numbers to fix are there
        return;
      }
      var filename = filenameOf(response);
      save(await response.blob(), filename);
      message(
        $(".js-print-status"),
        "Labels for " + plural(numbers.length, "order", "orders") + " saved as " + filename + ". Open it to print."
      );
    } catch (_) {
      showError("No connection to the server: check the network and print again.");
    } finally {
      printButton.disabled = false;
      printButton.textContent = "Print labels";
      labelsForm.removeAttribute("aria-busy");
    }
  });

  updateCount();
  show();
})();
