// The test page: every answer is saved as it is given (POST to the attempt's answers API); an answer that
// could not be sent is kept in localStorage and retried until the server has it, also after a reload; the
// countdown runs from the server's deadline and submits the test when it reaches 0.
(function () {
  "use strict";
  var exam = document.getElementById("exam");
  var form = document.getElementById("exam-form");
  if (!exam || !form) { return; }
  var url = exam.dataset.answerUrl;
  var storeKey = "mofan-exam-" + exam.dataset.attempt;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var skew = Date.now() - Date.parse(exam.dataset.now);
  var deadline = Date.parse(exam.dataset.deadline) + skew;
  var pending = load();
  var lastAction = Date.now();
  var seconds = {};
  var submitting = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function store() {
    try { localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode: memory only */ }
  }
  function box(qid) { return form.querySelector("fieldset[data-question='" + qid + "']"); }
  function mark(qid, state, text) {
    var el = box(qid).querySelector(".save-state");
    el.dataset.state = state;
    el.textContent = text;
    el.className = "save-state " + (state === "saved" ? "ok" : state === "pending" ? "warn" : state === "refused" ? "bad" : "muted");
  }
  function responseOf(fieldset) {
    var qtype = fieldset.dataset.qtype;
    var inputs = fieldset.querySelectorAll("[name^=q]");
    if (qtype === "single" || qtype === "judge") {
      var chosen = fieldset.querySelector("input:checked");
      return chosen ? chosen.value : null;
    }
    if (qtype === "multiple") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (qtype === "fill") { return Array.prototype.map.call(inputs, function (i) { return i.value; }); }
    return inputs[0].value;
  }
  function apply(fieldset, response) {
    var inputs = fieldset.querySelectorAll("[name^=q]");
    var qtype = fieldset.dataset.qtype;
    Array.prototype.forEach.call(inputs, function (input, n) {
      if (qtype === "single" || qtype === "judge") { input.checked = input.value === response; }
      else if (qtype === "multiple") { input.checked = (response || []).indexOf(input.value) >= 0; }
      else if (qtype === "fill") { input.value = (response || [])[n] || ""; }
      else { input.value = response || ""; }
    });
  }
  function send(qid) {
    var entry = pending[qid];
    if (!entry || entry.inFlight) { return; }
    entry.inFlight = true;
    mark(qid, "pending", exam.dataset.saving);
    fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json"},
      body: JSON.stringify({question: Number(qid), response: entry.response, seconds: entry.seconds})
    }).then(function (r) {
      entry.inFlight = false;
      if (r.ok) {
        if (pending[qid] === entry) { delete pending[qid]; store(); mark(qid, "saved", exam.dataset.saved); }
        else { send(qid); }  // a newer answer came while this one was on its way
      } else if (r.status === 400 || r.status === 403 || r.status === 404) {
        return r.json().then(function (body) {
          delete pending[qid]; store();
          var detail = body.detail || body.question || [];
          mark(qid, "refused", exam.dataset.refused + (detail.length ? ": " + detail.join(" ") : ""));
        });
      } else { failed(qid); }
    }).catch(function () { entry.inFlight = false; failed(qid); });
  }
  function failed(qid) {
    mark(qid, "pending", exam.dataset.unsaved);
    document.getElementById("connection").hidden = navigator.onLine;
  }
  function retryAll() {
    Object.keys(pending).forEach(send);
  }
  function changed(event) {
    var fieldset = event.target.closest("fieldset[data-question]");
    if (!fieldset) { return; }
    var qid = fieldset.dataset.question;
    var now = Date.now();
    seconds[qid] = (seconds[qid] || Number(fieldset.dataset.seconds) || 0) + Math.round((now - lastAction) / 1000);
    lastAction = now;
    pending[qid] = {response: responseOf(fieldset), seconds: seconds[qid]};
    store();
    send(qid);
  }
  var typing = {};
  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.type === "radio" || event.target.type === "checkbox") { return; }
    var fieldset = event.target.closest("fieldset[data-question]");
    clearTimeout(typing[fieldset.dataset.question]);
    typing[fieldset.dataset.question] = setTimeout(function () { changed(event); }, 800);
  });
  // Answers given before a reload that never reached the server: show them and send them again.
  Object.keys(pending).forEach(function (qid) {
    var fieldset = box(qid);
    if (!fieldset) { delete pending[qid]; return; }
    pending[qid].inFlight = false;
    apply(fieldset, pending[qid].response);
    mark(qid, "pending", exam.dataset.unsaved);
  });
  store();
  retryAll();
  window.addEventListener("online", function () { document.getElementById("connection").hidden = true; retryAll(); });
  window.addEventListener("offline", function () { document.getElementById("connection").hidden = false; });
  setInterval(retryAll, 3000);

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    document.getElementById("countdown").textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
    if (left === 0 && !submitting) { submitting = true; localStorage.removeItem(storeKey); form.submit(); }
  }
  // Submitting waits for the answers still on their way; while they cannot be sent the page stays.
  form.addEventListener("submit", function (event) {
    if (submitting) { return; }
    if (Object.keys(pending).length) {
      event.preventDefault();
      retryAll();
      var waited = 0;
      var poll = setInterval(function () {
        waited += 300;
        if (!Object.keys(pending).length) { clearInterval(poll); submitting = true; form.submit(); }
        else if (waited > 6000) { clearInterval(poll); }
      }, 300);
      return;
    }
    submitting = true;
    localStorage.removeItem(storeKey);
  });
  tick();
  setInterval(tick, 1000);
})();
