// The keyboard: Ctrl+K (⌘K on a Mac) opens the quick switcher (#switcher, a <dialog>: type
// part of a room's or a friend's name, ↑/↓ to choose, Enter to open, Esc to close); ↑ in an
// empty message box edits your last message; Esc closes menus and drop-downs (dialogs close
// by themselves); after a room opens, focus is in its message box (not on a touch screen,
// where that would pop up the keyboard). Uses chat.js; the switcher's results are the
// server's (rooms:switcher).
(function () {
  "use strict";

  var me = document.body.dataset.userId;
  var TOUCH = window.matchMedia("(pointer: coarse)");

  // --- Quick switcher -----------------------------------------------------------------------

  function switcher() { return document.getElementById("switcher"); }
  function items() { return Array.prototype.slice.call(switcher().querySelectorAll("[data-switch-item]")); }
  var chosen = 0;

  function highlight() {
    var all = items();
    if (chosen >= all.length) chosen = all.length - 1;
    if (chosen < 0) chosen = 0;
    all.forEach(function (item, i) {
      item.classList.toggle("chosen", i === chosen);
      item.setAttribute("aria-selected", i === chosen ? "true" : "false");
    });
    var input = switcher().querySelector("input");
    if (all[chosen]) {
      input.setAttribute("aria-activedescendant", all[chosen].id);
      all[chosen].scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function openSwitcher() {
    var dialog = switcher();
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    var input = dialog.querySelector("input");
    input.value = "";
    htmx.trigger(input, "search");
    input.focus();
    chosen = 0;
  }

  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
      if (!switcher()) return;
      event.preventDefault();
      openSwitcher();
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-open-switcher]")) {
      event.preventDefault();
      openSwitcher();
    }
    var dialog = switcher();
    if (dialog && event.target === dialog) dialog.close(); // a click on the backdrop
  });

  document.addEventListener("keydown", function (event) {
    var dialog = switcher();
    if (!dialog || !dialog.open || !dialog.contains(event.target)) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      chosen += event.key === "ArrowDown" ? 1 : -1;
      highlight();
    } else if (event.key === "Enter") {
      var item = items()[chosen];
      if (!item) return;
      event.preventDefault();
      var target = item.matches("a, button") ? item : item.querySelector("a, button");
      dialog.close();
      target.click();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "switcher-results") {
      chosen = 0;
      highlight();
    }
  });

  // --- ↑ in an empty box: edit your last message --------------------------------------------

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "ArrowUp" || event.defaultPrevented || box.id !== "message-body" || box.value !== "") return;
    if (event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) return;
    var list = chat.messageList();
    if (!list) return;
    var own = list.querySelectorAll(".message[data-sender-id='" + me + "']:not(.deleted):not(.edit-closed)");
    var last = own[own.length - 1];
    var edit = last && last.querySelector(".edit-action");
    if (!edit) return;
    event.preventDefault();
    edit.click();
  });

  // --- Esc closes drop-downs (the group's Members, the message menus: rooms.js) -------------

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.room-details[open]").forEach(function (details) {
      var inside = details.contains(document.activeElement);
      details.open = false;
      if (inside) details.querySelector("summary").focus();
    });
  });

  // --- Focus in the message box once a room opens -------------------------------------------

  function focusComposer() {
    if (TOUCH.matches) return;
    var box = document.getElementById("message-body");
    var dialog = switcher();
    if (box && !(dialog && dialog.open) && !document.querySelector(".message.linked")) box.focus({ preventScroll: true });
  }
  document.addEventListener("DOMContentLoaded", focusComposer);
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "room-pane") focusComposer();
  });
})();
