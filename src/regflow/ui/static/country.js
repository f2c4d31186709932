// Country picker: the typed name is matched against the list; the phone's example and
// whether the postal code may be left empty follow the chosen country.
document.addEventListener("DOMContentLoaded", function () {
  var input = document.querySelector("[data-country]");
  if (!input || !input.list) { return; }
  var phoneHint = document.getElementById("f-phone-hint");
  var base = phoneHint ? phoneHint.getAttribute("data-base") || phoneHint.textContent : "";
  if (phoneHint) { phoneHint.setAttribute("data-base", phoneHint.getAttribute("data-base") || base); }
  var optional = document.querySelector("[data-postal-optional]");
  var fold = function (s) { return s.trim().toLowerCase(); };
  var chosen = function () {
    var wanted = fold(input.value);
    var found = null;
    Array.prototype.forEach.call(input.list.options, function (o) {
      if (fold(o.value) === wanted || fold(o.getAttribute("data-code")) === wanted) { found = o; }
    });
    return found;
  };
  var sync = function () {
    var option = chosen();
    if (phoneHint) {
      var example = option ? option.getAttribute("data-example") : "";
      phoneHint.textContent = phoneHint.getAttribute("data-base") + (example ? " " + window.uiSay("For example %(example)s.", {example: example}) : "");
    }
    if (optional) { optional.hidden = !(option && option.hasAttribute("data-no-postal")); }
  };
  input.addEventListener("input", sync);
  input.addEventListener("change", sync);
  sync();
});
