// Organization code: look the code up and show the organization's name before committing.
document.addEventListener("DOMContentLoaded", function () {
  // a student registering on their own needs no code, one joining a school no institution
  var kinds = document.querySelectorAll("input[name=registration_type]");
  var sync = function () {
    var chosen = document.querySelector("input[name=registration_type]:checked");
    var value = chosen ? chosen.value : "";
    var code = document.querySelector("[data-field=org_code]");
    var school = document.querySelector("[data-field=current_institution]");
    if (code) { code.hidden = value === "standalone"; }
    if (school) { school.hidden = value === "organization"; }
  };
  kinds.forEach(function (radio) { radio.addEventListener("change", sync); });
  if (kinds.length) { sync(); }
  var input = document.querySelector("[data-org-code]");
  if (!input) { return; }
  var live = document.getElementById(input.id + "-live");
  var timer = null;
  var seq = 0;
  var say = function (cls, text) {
    live.textContent = "";
    var span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    live.appendChild(span);
  };
  // the server's refusal of an earlier code no longer applies once a code is found
  var clearStale = function () {
    var error = document.getElementById(input.id + "-error");
    if (error) { error.parentNode.removeChild(error); }
    var field = input.closest(".field");
    if (field) { field.classList.remove("has-error"); }
    input.removeAttribute("aria-invalid");
    var described = (input.getAttribute("aria-describedby") || "").split(" ")
      .filter(function (id) { return id && id !== input.id + "-error"; });
    input.setAttribute("aria-describedby", described.join(" "));
    var item = document.querySelector('#error-summary a[href="#' + input.id + '"]');
    if (item) {
      var summary = document.getElementById("error-summary");
      item.parentNode.parentNode.removeChild(item.parentNode);
      if (summary && !summary.querySelector("li")) { summary.parentNode.removeChild(summary); }
    }
  };
  var look = function () {
    var code = input.value.trim();
    if (code.length < 4) { live.textContent = ""; return; }
    var mine = ++seq;
    fetch("/v1/organizations/by-code/" + encodeURIComponent(code), { credentials: "omit" })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (mine !== seq) { return; }
        if (res.ok && res.body.name) { clearStale(); say("ok", window.uiSay("✓ You will join %(name)s", {name: res.body.name})); }
        else if (res.body && res.body.code === "RATE_LIMITED") { say("bad", window.uiSay("Too many lookups; wait a minute.")); }
        else { say("bad", window.uiSay("No organization has this code.")); }
      })
      .catch(function () {});
  };
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(look, 500);
  });
  if (input.value) { look(); }
});
