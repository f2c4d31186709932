// Password: rules tick as the person types, a strength meter, show/hide, and a match check.
// The meter is only a nudge; the server's policy decides (rules it cannot see stay neutral).
document.addEventListener("DOMContentLoaded", function () {
  var pw = document.querySelector("[data-password=password]");
  var again = document.querySelector("[data-password=password_confirmation]");
  if (!pw) { return; }
  var list = document.querySelector("#password-rules ul");
  var min = list ? parseInt(list.getAttribute("data-min"), 10) || 8 : 8;
  var meterBox = document.querySelector("[data-meter]");
  var meter = document.getElementById("strength");
  var word = document.querySelector("[data-strength-word]");
  var match = document.getElementById("match-live");
  var names = ["too weak", "weak", "fair", "good", "strong"].map(function (n) { return window.uiSay(n); });
  var tests = {
    length: function (v) { return v.length >= min && v.length <= 128; },
    upper: function (v) { return /\p{Lu}/u.test(v); },
    lower: function (v) { return /\p{Ll}/u.test(v); },
    digit: function (v) { return /\p{Nd}/u.test(v); },
    special: function (v) { return /[^\p{L}\p{Nd}]/u.test(v); }
  };
  // zxcvbn (zxcvbn.js, MIT, Dropbox): the estimator and word lists the server's policy uses
  var strength = function (v) {
    if (!window.zxcvbn) { return v.length < 8 ? 0 : 1; }
    return window.zxcvbn(v.slice(0, 72), ["regflow"]).score;
  };
  var update = function () {
    var v = pw.value;
    if (list) {
      list.querySelectorAll("li[data-rule]").forEach(function (li) {
        var test = tests[li.getAttribute("data-rule")];
        if (test) { li.classList.toggle("met", test(v)); }
      });
    }
    if (meterBox) {
      meterBox.hidden = v.length === 0;
      var s = strength(v);
      meter.value = s;
      word.textContent = names[s];
    }
    if (again && match) {
      if (!again.value) { match.textContent = ""; }
      else if (again.value === v) { match.innerHTML = ""; var ok = document.createElement("span"); ok.className = "ok"; ok.textContent = window.uiSay("✓ The passwords match"); match.appendChild(ok); }
      else { match.innerHTML = ""; var bad = document.createElement("span"); bad.className = "bad"; bad.textContent = window.uiSay("The passwords are not the same yet"); match.appendChild(bad); }
    }
  };
  [pw, again].forEach(function (input) {
    if (!input) { return; }
    input.addEventListener("input", update);
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "secondary";
    toggle.textContent = window.uiSay("Show");
    toggle.setAttribute("aria-controls", input.id);
    toggle.setAttribute("aria-pressed", "false");
    toggle.setAttribute("aria-label", window.uiSay(input === pw ? "Show password" : "Show confirmation"));
    toggle.addEventListener("click", function () {
      var shown = input.type === "text";
      input.type = shown ? "password" : "text";
      toggle.textContent = window.uiSay(shown ? "Show" : "Hide");
      toggle.setAttribute("aria-pressed", shown ? "false" : "true");
    });
    input.parentNode.appendChild(toggle);
  });
  update();
});
