/* The badge page: wait for the next badge a station's reader reads, then open its card.
   <form id="badge-wait" data-wait-url="URL">: asks URL?station=ID every second; the first
   answer gives a marker ("since"), and the first answer with status "read" gives the page to
   open (the card when one matches, else the search's answer). */
(function () {
  "use strict";

  var EVERY_MS = 1000;
  var form = document.getElementById("badge-wait");
  if (!form) return;
  var status = document.getElementById("badge-wait-status");
  var stop = form.querySelector("[data-stop]");
  var timer = null;
  var run = 0;  // each wait has its number: answers of an abandoned wait are dropped

  function ask(station, since) {
    var mine = run;
    var url = form.dataset.waitUrl + "?station=" + encodeURIComponent(station);
    if (since !== null) url += "&since=" + encodeURIComponent(since);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) {
        return answer.json().then(function (body) {
          if (!answer.ok) throw new Error(body.detail || answer.statusText);
          return body;
        });
      })
      .then(function (body) {
        if (mine !== run) return;
        if (body.status === "read") {
          window.location.assign(body.url);
          return;
        }
        status.textContent = form.dataset.waiting;
        later(station, body.since);
      })
      .catch(function (error) {
        if (mine !== run) return;
        status.textContent = error.message || form.dataset.failed;
        later(station, since);
      });
  }

  function later(station, since) {
    timer = window.setTimeout(function () { ask(station, since); }, EVERY_MS);
  }

  function halt() {
    run += 1;
    if (timer !== null) window.clearTimeout(timer);
    timer = null;
    status.textContent = "";
    stop.hidden = true;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    halt();
    stop.hidden = false;
    status.textContent = form.dataset.waiting;
    ask(form.elements.station.value, null);
  });
  stop.addEventListener("click", halt);
  form.elements.station.addEventListener("change", halt);
})();
