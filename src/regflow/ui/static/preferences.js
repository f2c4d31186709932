// Preferences: preview the chosen logo before upload; preselect the browser's time zone.
document.addEventListener("DOMContentLoaded", function () {
  var file = document.querySelector("[data-logo]");
  var preview = document.getElementById("logo-preview");
  if (file && preview) {
    file.addEventListener("change", function () {
      var chosen = file.files && file.files[0];
      if (!chosen) { return; }
      preview.src = URL.createObjectURL(chosen);
      preview.hidden = false;
    });
  }
  // the browser's own zone joins the suggestions (after UTC) and is chosen when none is yet
  var zone = document.querySelector("select[data-timezone]");
  var mine = window.Intl ? Intl.DateTimeFormat().resolvedOptions().timeZone : "";
  var known = zone && mine ? zone.querySelector('option[value="' + mine + '"]') : null;
  if (known) {
    var suggested = zone.querySelector("optgroup");
    if (suggested && known.parentNode !== suggested) {
      var copy = known.cloneNode(true);
      copy.textContent = window.uiSay("%(zone)s (this device)", {zone: known.textContent});
      known.parentNode.removeChild(known);
      suggested.insertBefore(copy, suggested.children[1] || null);
      known = copy;
    }
    if (!zone.value) { zone.value = mine; }
  }
});
