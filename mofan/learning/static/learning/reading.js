// Reports the time a material page was visible (visible seconds only) when the reader leaves it or after
// each five minutes; the server caps what is implausible.
(function () {
  var status = document.getElementById("reading-status");
  if (!status) { return; }
  var opened = Date.now() / 1000, visibleSince = document.hidden ? null : Date.now(), seconds = 0;
  function take() {
    if (visibleSince !== null) { seconds += (Date.now() - visibleSince) / 1000; visibleSince = document.hidden ? null : Date.now(); }
    var whole = Math.floor(seconds); seconds -= whole; return whole;
  }
  function report() {
    var whole = take();
    if (whole < 5) { return; }
    var body = new FormData();
    body.append("seconds", String(whole)); body.append("opened", String(opened));
    body.append("csrfmiddlewaretoken", status.dataset.csrf);
    if (navigator.sendBeacon) { navigator.sendBeacon(status.dataset.url, body); }
    else { fetch(status.dataset.url, {method: "POST", body: body, credentials: "same-origin", keepalive: true}); }
    opened = Date.now() / 1000;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) { report(); } else { visibleSince = Date.now(); }
  });
  window.addEventListener("pagehide", report);
  setInterval(report, 300000);
})();
