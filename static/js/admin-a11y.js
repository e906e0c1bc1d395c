// Names for the inputs the admin's widgets build in the browser, which axe finds unnamed:
// select2's boxes (autocomplete fields) and CodeMirror's hidden textarea (the Markdown editor).
// Each takes the text of the label of the field it stands for.
(function () {
  "use strict";

  function labelOf(id) {
    const label = id && document.querySelector('label[for="' + CSS.escape(id) + '"]');
    return label ? label.textContent.replace(/[\s:*]+$/, "").trim() : "";
  }

  function name(element, text) {
    if (element && text && element.getAttribute("aria-label") !== text) {
      element.setAttribute("aria-label", text);
    }
  }

  function nameEverything() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const text = labelOf(select.id);
      const box = select.nextElementSibling;
      if (!box || !box.classList.contains("select2")) {
        return;
      }
      name(box.querySelector(".select2-selection"), text);
      name(box.querySelector(".select2-selection__rendered"), text);
      name(box.querySelector(".select2-search__field"), text);
      // The chosen items are a list: what select2 puts among them (its clear button) is an
      // item of it too.
      box.querySelectorAll("ul.select2-selection__rendered > :not(li)").forEach(function (child) {
        if (child.getAttribute("role") !== "listitem") {
          child.setAttribute("role", "listitem");
        }
      });
    });
    document.querySelectorAll(".CodeMirror").forEach(function (editor) {
      const field = editor.parentElement && editor.parentElement.parentElement;
      const source = field && field.querySelector("textarea[id]");
      name(editor.querySelector("textarea"), source ? labelOf(source.id) : "");
    });
  }

  let pending = false;
  function soon() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(function () {
        pending = false;
        nameEverything();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    nameEverything();
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
  });
})();
