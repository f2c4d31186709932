// The scripts' words in the page's language: the page lists them (a JSON block, not a script),
// keyed by their English text; %(name)s placeholders are filled from ``vars``.
window.uiSay = function (text, vars) {
  if (!window.uiWords) {
    var block = document.getElementById("ui-words");
    try { window.uiWords = JSON.parse(block ? block.textContent : "{}"); } catch (e) { window.uiWords = {}; }
  }
  var said = window.uiWords[text] || text;
  Object.keys(vars || {}).forEach(function (name) { said = said.split("%(" + name + ")s").join(String(vars[name])); });
  return said;
};
