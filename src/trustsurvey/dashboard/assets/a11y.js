/* trustsurvey dashboard: accessibility repairs of Dash's option lists and dropdowns.
   Radio items are rendered as a listbox whose options hold radio inputs (an interactive
   control inside another); the dropdown's focus target is focusable but aria-hidden and
   unnamed. After every render this makes each option list a named radio group of plain
   labels, names the dropdown's focus target after its label and value, and lets the dropdown's
   button be named by its visible text. Changes are made only when needed (no loop). */
(function () {
  "use strict";
  function labelId(id) {
    if (!id) { return null; }
    if (id === "lang-switch") { return "lang-label"; }
    var label = document.querySelector('label[for="' + CSS.escape(id) + '"]');
    if (!label) { return null; }
    if (!label.id) { label.id = id + "-label"; }
    return label.id;
  }
  function set(el, name, value) {
    if (el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function fix() {
    document.querySelectorAll('.dash-options-list[role="listbox"]').forEach(function (list) {
      set(list, "role", list.querySelector('input[type="radio"]') ? "radiogroup" : "group");
    });
    document.querySelectorAll(".dash-options-list").forEach(function (list) {
      var lid = labelId(list.id);
      if (lid) { set(list, "aria-labelledby", lid); }
    });
    var options = '.dash-options-list-option[role="option"], .dash-options-list-option[aria-selected]';
    document.querySelectorAll(options).forEach(function (o) {
      if (o.hasAttribute("role")) { o.removeAttribute("role"); }
      if (o.hasAttribute("aria-selected")) { o.removeAttribute("aria-selected"); }
    });
    document.querySelectorAll(".dash-dropdown-wrapper").forEach(function (wrap) {
      var input = wrap.querySelector(".dash-dropdown-focus-target");
      var button = wrap.querySelector("button.dash-dropdown");
      if (!input || !button) { return; }
      if (input.hasAttribute("aria-hidden")) { input.removeAttribute("aria-hidden"); }
      var lid = labelId(button.id);
      set(input, "aria-labelledby", [lid, button.id + "-value"].filter(Boolean).join(" "));
      // the button is not focusable (the input above is): its name is its visible text
      if (button.hasAttribute("aria-labelledby")) { button.removeAttribute("aria-labelledby"); }
    });
  }
  new MutationObserver(fix).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true,
    attributeFilter: ["role", "aria-hidden", "aria-labelledby", "aria-selected"]
  });
  fix();
}());
