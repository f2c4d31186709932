// Copy buttons: copy the text of the element they name and say so.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var said = button.parentNode.querySelector("[data-copied]");
    if (!source || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (said) { said.textContent = window.uiSay("Copied"); }
      }, function () {
        if (said) { said.textContent = window.uiSay("Select the code and copy it"); }
      });
    });
  });
});
