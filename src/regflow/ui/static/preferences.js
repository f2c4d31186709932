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
  var zone = document.querySelector("select[data-timezone]");
  if (zone && !zone.value && window.Intl) {
    var mine = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (mine && zone.querySelector('option[value="' + mine + '"]')) { zone.value = mine; }
  }
});
