// The emoji palette's search and memory: typing in .emoji-search shows the emoji whose name
// holds every word typed, the recently used first; the palette opens with "Recently used"
// (this browser's last picks, localStorage) above the groups. Picking is rooms.js's.
(function () {
  "use strict";

  var KEY = "chat.emoji-recent";
  var MOST = 16;

  function recent() {
    try {
      var list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(list) ? list.filter(function (c) { return typeof c === "string"; }) : [];
    } catch (error) {
      return [];
    }
  }

  function remember(character) {
    var list = recent().filter(function (c) { return c !== character; });
    list.unshift(character);
    window.localStorage.setItem(KEY, JSON.stringify(list.slice(0, MOST)));
  }

  // The palette's own buttons, one per character, in the palette's order.
  function buttons(panel) {
    return Array.prototype.slice.call(panel.querySelectorAll(".emoji-all button[data-emoji]"));
  }

  function copies(panel, chosen) {
    return chosen.map(function (button) {
      var copy = button.cloneNode(true);
      return copy;
    });
  }

  function fill(grid, items) {
    while (grid.firstChild) grid.removeChild(grid.firstChild);
    items.forEach(function (item) { grid.appendChild(item); });
  }

  function showRecent(panel) {
    var order = recent();
    var byChar = {};
    buttons(panel).forEach(function (b) { byChar[b.dataset.emoji] = b; });
    var chosen = order.map(function (c) { return byChar[c]; }).filter(Boolean);
    var box = panel.querySelector(".emoji-recent");
    fill(box.querySelector(".emoji-grid"), copies(panel, chosen));
    box.hidden = !chosen.length;
  }

  function search(panel, text) {
    var words = text.toLowerCase().split(/\s+/).filter(Boolean);
    var found = panel.querySelector(".emoji-found");
    var all = panel.querySelector(".emoji-all");
    if (!words.length) {
      found.hidden = true;
      all.hidden = false;
      showRecent(panel);
      return;
    }
    var order = recent();
    var matches = buttons(panel).filter(function (b) {
      var name = (b.getAttribute("aria-label") || "").toLowerCase();
      return words.every(function (w) { return name.indexOf(w) >= 0; });
    });
    var rank = function (b) { var i = order.indexOf(b.dataset.emoji); return i < 0 ? MOST + 1 : i; };
    matches = matches.map(function (b, i) { return [b, i]; })
      .sort(function (x, y) { return rank(x[0]) - rank(y[0]) || x[1] - y[1]; })
      .map(function (pair) { return pair[0]; });
    fill(found.querySelector(".emoji-grid"), copies(panel, matches));
    found.querySelector(".emoji-none").hidden = matches.length > 0;
    found.hidden = false;
    all.hidden = true;
    panel.querySelector(".emoji-recent").hidden = true;
  }

  document.addEventListener("toggle", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches(".emoji-picker") || !picker.open) return;
    var panel = picker.querySelector(".emoji-panel");
    var input = panel.querySelector(".emoji-search");
    input.value = "";
    search(panel, "");
    // The toggle event comes a moment after the click: someone already back in another field
    // (the message box, say) keeps it, so Enter there still sends.
    var focused = document.activeElement;
    if (!focused || focused === document.body || picker.contains(focused)) input.focus();
  }, true);

  document.addEventListener("input", function (event) {
    if (!event.target.matches || !event.target.matches(".emoji-search")) return;
    search(event.target.closest(".emoji-panel"), event.target.value);
  });

  // Enter in the search picks the first match.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !event.target.matches || !event.target.matches(".emoji-search")) return;
    event.preventDefault();
    var first = event.target.closest(".emoji-panel").querySelector(".emoji-found:not([hidden]) button[data-emoji]");
    if (first) first.click();
  });

  // Capture: remembered before rooms.js inserts it and closes the palette.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".emoji-panel button[data-emoji]");
    if (button) remember(button.dataset.emoji);
  }, true);
})();
