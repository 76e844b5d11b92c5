/* The broadcasts pages, enhanced (each works without this file):
   - the compose form: the recipient count follows the audience chosen, without the
     "count" button (GET /staff/broadcasts/count);
   - a broadcast going out: its counts refresh every few seconds
     (GET /staff/broadcasts/{id}/progress). */
(function () {
  "use strict";

  function liveCount(form) {
    var out = document.getElementById("figures");
    if (!out) { return; }
    var timer = null;
    function update() {
      var query = new URLSearchParams();
      var area = form.elements.namedItem("area");
      var commune = form.elements.namedItem("commune");
      var who = form.querySelector("input[name=who]:checked");
      query.set("area", area ? area.value : "");
      query.set("commune", commune ? commune.value : "");
      query.set("who", who ? who.value : "everyone");
      fetch("/staff/broadcasts/count?" + query.toString(), {
        credentials: "same-origin", headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (body) {
        if (body && typeof body.text === "string") { out.textContent = body.text; }
      }).catch(function () { /* the count button still works */ });
    }
    function later() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(update, 350);
    }
    form.addEventListener("change", function (event) {
      var name = event.target && event.target.name;
      if (name === "area" || name === "who" || name === "commune") { later(); }
    });
    var commune = form.elements.namedItem("commune");
    if (commune) { commune.addEventListener("input", later); }
    update();
  }

  function liveProgress(section) {
    var url = section.getAttribute("data-live");
    var bar = document.getElementById("progress-bar");
    var badge = document.getElementById("status-badge");
    var initial = section.getAttribute("data-status");
    function update() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (body) {
          if (!body) { return; }
          section.querySelectorAll("[data-count]").forEach(function (cell) {
            var value = body[cell.getAttribute("data-count")];
            if (typeof value === "number") { cell.textContent = String(value); }
          });
          if (bar) { bar.value = body.sent + body.blocked + body.failed; }
          if (badge) { badge.textContent = body.status_text; }
          if (body.status !== initial) {  /* the page shows more: the report, the bar */
            window.location.reload();
            return;
          }
          setTimeout(update, 4000);
        })
        .catch(function () { setTimeout(update, 15000); });
    }
    setTimeout(update, 4000);
  }

  var form = document.getElementById("compose");
  if (form) { liveCount(form); }
  var live = document.querySelector("[data-live]");
  if (live) { liveProgress(live); }
})();
