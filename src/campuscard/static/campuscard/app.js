/* Behaviour every page may use, bound through data- attributes: the Content-Security-Policy
   allows no inline script or style attribute in the templates.
   - <select data-submit-on-change>: sends its form when the choice changes.
   - <input type=checkbox data-select-all="NAME">: ticks or clears every NAME box of its form.
   - data-aspect-ratio="W / H": the element's aspect ratio (sizes that come from the data).
   - data-refresh-url="URL": the element is replaced by what URL answers, every few seconds,
     until the answer no longer carries data-refresh-url (e.g. every system has been told). */
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.form) return;
    if (target.matches("[data-submit-on-change]")) target.form.submit();
    if (target.matches("input[type=checkbox][data-select-all]")) {
      var name = target.dataset.selectAll;
      target.form.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        if (box.name === name) box.checked = target.checked;
      });
    }
  });

  document.querySelectorAll("[data-aspect-ratio]").forEach(function (element) {
    element.style.aspectRatio = element.dataset.aspectRatio;
  });

  var REFRESH_MS = 3000;
  function refreshLater(element) {
    window.setTimeout(function () {
      fetch(element.dataset.refreshUrl, {credentials: "same-origin"})
        .then(function (answer) { return answer.ok ? answer.text() : Promise.reject(answer); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          element.replaceWith(fresh);
          if (fresh.dataset.refreshUrl) refreshLater(fresh);
        })
        .catch(function () { refreshLater(element); });
    }, REFRESH_MS);
  }
  document.querySelectorAll("[data-refresh-url]").forEach(refreshLater);
})();
