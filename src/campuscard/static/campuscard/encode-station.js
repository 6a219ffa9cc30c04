/* The encoding station page: relays APDUs between CampusCard, which drives the chip, and the
   reader the local agent offers (campuscard station agent; the demo's is a software reader).
   For a card: the agent gives the chip's UID, the server starts a session, then each APDU the
   server sends goes to the chip and the chip's answer back, until the server says the session
   ended. The page reports what the server reports, nothing before. */
(function () {
  "use strict";

  var panel = document.getElementById("encode-station");
  if (!panel) return;
  var agent = panel.dataset.agent.replace(/\/$/, "");
  var status = document.getElementById("encode-status");
  var kind = document.getElementById("reader-kind");
  var blank = document.getElementById("lay-blank");
  var csrf = panel.querySelector("input[name=csrfmiddlewaretoken]").value;
  var PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
  var busy = false;

  function say(template, values) {
    status.textContent = template.replace(/\{(\w+)\}/g, function (_, name) {
      return values[name] === undefined ? "" : values[name];
    });
  }

  function json(answer) {
    return answer.json().then(function (body) {
      if (!answer.ok) throw new Error(body.detail || answer.statusText);
      return body;
    });
  }

  function toAgent(path, body) {
    var options = {method: body === undefined ? "GET" : "POST", mode: "cors",
                   headers: {"Content-Type": "application/json"}};
    if (body !== undefined) options.body = JSON.stringify(body);
    return fetch(agent + path, options).then(json);
  }

  function toServer(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
                       headers: {"Content-Type": "application/json", "X-CSRFToken": csrf,
                                 "Accept": "application/json"},
                       body: JSON.stringify(body)}).then(json);
  }

  function sessionUrl(template, session) { return template.replace(PLACEHOLDER, session); }

  function relay(answer, number) {
    if (!answer.apdu) return Promise.resolve(answer);
    say(panel.dataset.working, {card: number, step: answer.step + 1});
    return toAgent("/transmit", {apdu: answer.apdu}).then(function (chip) {
      return toServer(sessionUrl(panel.dataset.stepUrl, answer.session),
                      {step: answer.step, answer: chip.answer});
    }, function (error) {
      return toServer(sessionUrl(panel.dataset.abandonUrl, answer.session),
                      {message: error.message}).then(function (ended) {
        ended.failure = ended.failure || error.message;
        return ended;
      });
    }).then(function (next) { return relay(next, number); });
  }

  function finished(answer, number, row) {
    if (answer.status === "done") {
      say(panel.dataset.done, {card: number, files: answer.outcome.verified_files,
                               apdus: answer.outcome.apdus, state: answer.card.state_label});
    } else {
      say(panel.dataset.failed, {card: number, reason: answer.failure || answer.status});
    }
    if (answer.card) row.querySelector("[data-state]").textContent = answer.card.state_label;
  }

  function encode(button) {
    if (busy) return;
    busy = true;
    var number = button.dataset.number;
    var row = button.closest("tr");
    toAgent("/card").then(function (chip) {
      return toServer(panel.dataset.startUrl, {card: Number(button.dataset.encode),
                                               uid: chip.uid});
    }).then(function (answer) {
      return relay(answer, number);
    }).then(function (answer) {
      finished(answer, number, row);
    }).catch(function (error) {
      say(panel.dataset.failed, {card: number, reason: error.message});
    }).then(function () {
      busy = false;
      return toAgent("/release", {}).catch(function () {});
    });
  }

  document.querySelectorAll("[data-encode]").forEach(function (button) {
    button.addEventListener("click", function () { encode(button); });
  });

  blank.addEventListener("click", function () {
    toAgent("/blank", {}).then(function (chip) {
      say(panel.dataset.blankLaid, {uid: chip.uid});
    }).catch(function (error) { status.textContent = error.message; });
  });

  toAgent("/info").then(function (info) {
    kind.textContent = info.kind === "softcard" ? panel.dataset.softcard : panel.dataset.pcsc;
    blank.hidden = info.kind !== "softcard";
  }).catch(function () {
    kind.textContent = panel.dataset.noAgent;
  });
})();
