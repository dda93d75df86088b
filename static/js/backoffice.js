// Back office: keyboard shortcuts on the claim page and click-to-zoom pictures.
// Every page works without this file; it only saves the reviewer some clicks.
(function () {
  "use strict";

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function focusReason(kind) {
    var box = document.querySelector('[data-reason-text="' + kind + '"]');
    if (box) {
      box.scrollIntoView({ block: "center" });
      box.focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    var key = event.key;
    if (key === "Escape") {
      document.querySelectorAll("a.zoom.zoomed").forEach(function (link) { link.classList.remove("zoomed"); });
    } else if (key === "a") {
      var approve = document.getElementById("approve-button");
      if (approve) { event.preventDefault(); approve.click(); }
    } else if (key === "s") {
      event.preventDefault(); focusReason("send_back");
    } else if (key === "r") {
      event.preventDefault(); focusReason("reject");
    } else if (key === "n") {
      var next = document.getElementById("next-claim");
      if (next) { event.preventDefault(); window.location.href = next.href; }
    }
  });

  // A click on a picture zooms it in place; the link still opens the full picture without JS
  // (or with a modifier key, in a new tab).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.zoom");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) {
      return;
    }
    event.preventDefault();
    link.classList.toggle("zoomed");
  });

  // Choosing a reason template writes its text (in the member's language) into the reason box.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[name$='-template']")) {
      return;
    }
    var option = select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-text");
    var box = select.form && select.form.querySelector("textarea[data-reason-text]");
    if (!box) {
      return;
    }
    // Replace the text an earlier choice put there, keep what the reviewer typed.
    var typed = box.value.replace(box.getAttribute("data-from-template") || "\u0000", "").trim();
    text = text || "";
    box.value = typed ? (text ? text + "\n\n" + typed : typed) : text;
    box.setAttribute("data-from-template", text);
    box.focus();
  });
})();
