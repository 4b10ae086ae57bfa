// The conversation's shape, on the page and for every live message: consecutive messages of
// one sender within five minutes form a group (one avatar and name: .grouped on the later
// ones), a separator starts each day (Today, Yesterday, a date, in the reader's time zone and
// language: chat.dayLabel),
// a message opened by link (?around=<id> or #message-<id>) is scrolled to and highlighted,
// and "Jump to latest" shows while the reader is away from the newest message. Uses chat.js.
(function () {
  "use strict";

  var GROUP_MS = 5 * 60 * 1000;

  function sentAt(message) {
    var time = message.querySelector(".meta time[datetime], :scope > p > time[datetime]");
    return time ? new Date(time.getAttribute("datetime")) : null;
  }

  function separator(date) {
    var item = document.createElement("li");
    item.className = "day-separator";
    item.dataset.day = String(chat.dayNumber(date));
    var label = document.createElement("span");
    label.textContent = chat.dayLabel(date);
    item.appendChild(label);
    return item;
  }

  // Walks the list in order (a few hundred messages at most): cheap enough after every change.
  function shape(list) {
    if (!list) return;
    list.querySelectorAll(":scope > .day-separator").forEach(function (el) { el.remove(); });
    var previous = null;
    var previousAt = null;
    list.querySelectorAll(":scope > .message[data-message-id]").forEach(function (message) {
      var at = sentAt(message);
      if (!at) return;
      var newDay = !previousAt || chat.dayNumber(at) !== chat.dayNumber(previousAt);
      if (newDay) list.insertBefore(separator(at), message);
      var grouped = !newDay && previous && !message.classList.contains("system") && !previous.classList.contains("system") &&
        message.dataset.senderId && message.dataset.senderId === previous.dataset.senderId && at - previousAt < GROUP_MS;
      message.classList.toggle("grouped", !!grouped);
      previous = message;
      previousAt = at;
    });
  }

  // --- A message opened by link ------------------------------------------------------------

  function linkedId() {
    var hash = /^#message-(\d+)$/.exec(window.location.hash);
    if (hash) return hash[1];
    var around = new URLSearchParams(window.location.search).get("around");
    return around && /^\d+$/.test(around) ? around : null;
  }

  function showLinked() {
    var id = linkedId();
    var message = id && document.getElementById("message-" + id);
    if (!message) return false;
    message.scrollIntoView({ block: "center" });
    message.classList.add("linked");
    return true;
  }

  // --- Jump to latest ------------------------------------------------------------------------

  function updateJump() {
    var list = chat.messageList();
    var jump = document.getElementById("jump-latest");
    if (!list || !jump) return;
    jump.hidden = list.hasAttribute("data-history") || list.scrollHeight - list.scrollTop - list.clientHeight < list.clientHeight / 2;
  }

  var watched = null;
  function watch() {
    var list = chat.messageList();
    if (!list || list === watched) return;
    watched = list;
    list.addEventListener("scroll", updateJump, { passive: true });
  }

  function refresh() {
    var list = chat.messageList();
    var atBottom = list && chat.nearBottom(list);
    shape(list);
    if (atBottom && !list.querySelector(".message.linked")) list.scrollTop = list.scrollHeight;
    watch();
    updateJump();
  }

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    if (showLinked()) updateJump();
  });
  document.addEventListener("htmx:afterSettle", refresh);
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target && (target.id === "messages" || (target.classList && target.classList.contains("message")))) refresh();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#jump-latest")) {
      chat.showNewest();
      updateJump();
      var box = document.getElementById("message-body");
      if (box) box.focus();
    }
  });

  window.conversation = { shape: shape, dayLabel: chat.dayLabel };
})();
