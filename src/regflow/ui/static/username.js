// Username: a debounced availability check with suggestions that fill the field.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.querySelector("[data-username]");
  if (!input) { return; }
  var live = document.getElementById(input.id + "-live");
  var timer = null;
  var seq = 0;
  var words = {
    USERNAME_INVALID: window.uiSay("Use 3 to 30 letters, digits, dots, hyphens or underscores."),
    USERNAME_RESERVED: window.uiSay("This username is reserved."),
    USERNAME_TAKEN: window.uiSay("This username is taken.")
  };
  var show = function (body) {
    live.textContent = "";
    var line = document.createElement("span");
    if (body.available) {
      line.className = "ok";
      line.textContent = window.uiSay("✓ %(name)s is available", {name: body.username});
      live.appendChild(line);
      return;
    }
    line.className = "bad";
    line.textContent = words[body.reason] || window.uiSay("This username cannot be used.");
    live.appendChild(line);
    if (body.suggestions && body.suggestions.length) {
      var box = document.createElement("div");
      box.className = "suggestions";
      var label = document.createElement("span");
      label.textContent = window.uiSay("Try:");
      box.appendChild(label);
      body.suggestions.forEach(function (name) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = name;
        b.addEventListener("click", function () { input.value = name; input.focus(); check(); });
        box.appendChild(b);
      });
      live.appendChild(box);
    }
  };
  var check = function () {
    var value = input.value.trim();
    if (value.length < 3) { live.textContent = ""; return; }
    var mine = ++seq;
    fetch("/v1/usernames/" + encodeURIComponent(value) + "/availability", { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body && mine === seq) { show(body); } })
      .catch(function () {});
  };
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  });
  if (input.value) { check(); }
});
