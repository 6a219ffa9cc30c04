/* The card template editor's live preview: when the form changes, its unsaved content is sent
   (POST) to the draft endpoints, which answer a PNG of each side, or 422 with what is wrong.
   Nothing is saved by the preview. Plain JS: the Content-Security-Policy allows no inline
   script. */
(function () {
  "use strict";

  var form = document.getElementById("template-content");
  var problems = document.getElementById("preview-problems");
  var status = document.getElementById("preview-status");
  if (!form || !problems || !document.getElementById("preview-front")) return;

  var DELAY_MS = 600;
  var timer = null;
  var latest = 0;
  var urls = {};

  function figure(side) { return document.getElementById("preview-" + side); }

  function showProblems(list) {
    var items = problems.querySelector("ul");
    items.textContent = "";
    list.forEach(function (text) {
      var item = document.createElement("li");
      item.textContent = text;
      items.appendChild(item);
    });
    problems.hidden = list.length === 0;
    ["front", "back"].forEach(function (side) {
      figure(side).classList.toggle("stale", list.length > 0);
    });
  }

  function fetchSide(side, body, request) {
    return fetch(form.dataset["preview" + side.charAt(0).toUpperCase() + side.slice(1)], {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch"}
    }).then(function (answer) {
      if (answer.status === 204) return {side: side, none: true};
      if (answer.status === 422) {
        return answer.json().then(function (data) { return {side: side, errors: data.errors}; });
      }
      if (!answer.ok) return {side: side, errors: [answer.status + " " + answer.statusText]};
      return answer.blob().then(function (blob) { return {side: side, image: blob}; });
    }).then(function (result) { result.request = request; return result; });
  }

  function refresh() {
    var request = ++latest;
    var body = new FormData(form);
    status.textContent = form.dataset.refreshing || "";
    Promise.all([fetchSide("front", body, request), fetchSide("back", body, request)])
      .then(function (results) {
        if (request !== latest) return;  // a newer change is on its way
        var errors = results[0].errors || results[1].errors || [];
        showProblems(errors);
        if (errors.length) return;
        results.forEach(function (result) {
          var holder = figure(result.side);
          holder.hidden = Boolean(result.none);
          if (!result.image) return;
          if (urls[result.side]) URL.revokeObjectURL(urls[result.side]);
          urls[result.side] = URL.createObjectURL(result.image);
          holder.querySelector("img").src = urls[result.side];
        });
        status.textContent = "";
      })
      .catch(function (error) { if (request === latest) showProblems([String(error)]); });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, DELAY_MS);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  refresh();
})();
