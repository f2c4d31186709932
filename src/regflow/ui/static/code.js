// Code page: keep only digits (a pasted "123 456" or "Code: 123-456" works), count down
// to when a new code may be asked for, and move on when the mail's link was used elsewhere.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.getElementById("f-code");
  if (input) {
    input.addEventListener("paste", function (event) {
      var text = (event.clipboardData || window.clipboardData).getData("text") || "";
      var digits = text.replace(/\D/g, "");
      if (digits.length >= 4) {
        event.preventDefault();
        input.value = digits.slice(0, 6);
        if (digits.length >= 6 && input.form) { input.form.requestSubmit(); }
      }
    });
    input.addEventListener("input", function () {
      var digits = input.value.replace(/\D/g, "").slice(0, 6);
      if (digits !== input.value) { input.value = digits; }
    });
  }
  var resend = document.querySelector("form.resend");
  var button = document.querySelector("[data-resend]");
  var counter = document.querySelector("[data-countdown]");
  if (resend && button) {
    var at = Date.parse(resend.getAttribute("data-resend-at"));
    var tick = function () {
      var left = Math.ceil((at - Date.now()) / 1000);
      if (left > 0) {
        button.disabled = true;
        button.textContent = window.uiSay("Send a new code in %(num)s s", {num: left});
        if (counter) { counter.textContent = window.uiSay(left === 1 ? "%(num)s second" : "%(num)s seconds", {num: left}); }
        window.setTimeout(tick, 1000);
      } else {
        button.disabled = false;
        button.textContent = window.uiSay("Send a new code");
        if (counter) { counter.textContent = window.uiSay("a moment"); }
      }
    };
    if (!isNaN(at)) { tick(); }
  }
  var form = document.querySelector("form[data-status]");
  if (form) {
    var url = form.getAttribute("data-status");
    var here = window.location.pathname;
    var poll = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && body.next && body.next !== here) { window.location.assign(body.next); }
          else { window.setTimeout(poll, 3000); }
        })
        .catch(function () { window.setTimeout(poll, 6000); });
    };
    window.setTimeout(poll, 3000);
  }
});
