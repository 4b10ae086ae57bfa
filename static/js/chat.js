// What the site's scripts share, in one copy (base.html loads this before site.js, rooms.js
// and live.js, which use it as `chat`):
// - `chat.config`: the page's limits and the socket's close codes, written by base.html from
//   the settings (#chat-config), so no script restates them;
// - ids (`chat.uuid`), the open room's message list and its place, the "keyed by id" rule;
// - toasts;
// - times in the reader's zone and language (`chat.localizeTimes`): the socket's frames are
//   rendered once per language, in UTC, and live.js rewrites their <time datetime> elements
//   with these, as the server writes them on a page ("14:05", "Yesterday, 14:05" / "昨天 14:05",
//   "12 Mar, 14:05" / "3月12日 14:05"); the zone is the one the server rendered the page in
//   (<body data-time-zone>), else the browser's.
(function () {
  "use strict";

  var source = document.getElementById("chat-config");
  var config = source ? JSON.parse(source.textContent) : { limits: {}, close: {} };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // --- The open room's messages (#messages: data-room-id, one .message[data-message-id] each)

  function messageList() { return document.getElementById("messages"); }

  function openRoomId() {
    var list = messageList();
    return list ? list.dataset.roomId : null;
  }

  function messageIds(list) {
    if (!list) return [];
    return Array.prototype.map.call(list.querySelectorAll(":scope > .message[data-message-id]"),
      function (el) { return Number(el.dataset.messageId); });
  }

  function newestMessageId() {
    var ids = messageIds(messageList());
    return ids.length ? Math.max.apply(null, ids) : 0;
  }

  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }

  // Scroll to the newest message; the "New messages" pill has nothing left to point at.
  function showNewest() {
    var list = messageList();
    if (list) list.scrollTop = list.scrollHeight;
    var pill = document.getElementById("new-messages");
    if (pill) pill.hidden = true;
  }

  // Keyed by id: take out of `root` (what is about to be swapped in) every message the page
  // already shows, so a message never shows twice (the socket and an HTTP answer, a resume).
  function dropShownMessages(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".message[data-message-id]"), function (el) {
      if (document.getElementById(el.id)) el.remove();
    });
  }

  // --- Toasts (#toasts): each fades after a few seconds ---------------------------------------

  function fadeLater(toast) {
    if (toast.dataset.fading) return;
    toast.dataset.fading = "1";
    setTimeout(function () { toast.classList.add("fade"); }, 4000);
    setTimeout(function () { toast.remove(); }, 4600);
  }

  function toast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = document.createElement("div");
    item.className = "toast toast-" + (kind || "info");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = text;
    box.appendChild(item);
    fadeLater(item);
  }

  // --- Times: the reader's zone and language ---------------------------------------------------

  var DAY_MS = 24 * 60 * 60 * 1000;
  var pageLanguage = document.documentElement.lang || "en";
  // English dates as the server writes them ("12 Mar"), Chinese as Intl does ("3月12日").
  var locale = pageLanguage === "en" ? "en-GB" : pageLanguage;
  var zone = (document.body && document.body.dataset.timeZone) || undefined;
  var formats = {};
  function format(name, options) {
    if (!formats[name]) {
      try {
        formats[name] = new Intl.DateTimeFormat(locale, Object.assign({ timeZone: zone }, options));
      } catch (error) { // a zone or language this browser does not know: its own
        formats[name] = new Intl.DateTimeFormat(undefined, options);
      }
    }
    return formats[name];
  }

  // The day of date in the reader's zone, as a number of days (for "today", "yesterday").
  function dayNumber(date) {
    var parts = {};
    format("ymd", { year: "numeric", month: "numeric", day: "numeric" }).formatToParts(date).forEach(function (part) {
      parts[part.type] = part.value;
    });
    return Math.round(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / DAY_MS);
  }

  function sameYear(a, b) {
    var year = format("year", { year: "numeric" });
    return year.format(a) === year.format(b);
  }

  // "14:05" today, else "Yesterday", "12 Mar", "12 Mar 2025"; withTime: "Yesterday, 14:05"...
  function shortTime(date, withTime) {
    var clock = format("clock", { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
    var now = new Date();
    var days = dayNumber(now) - dayNumber(date);
    if (days === 0) return clock;
    var day;
    if (days === 1) day = gettext("Yesterday");
    else if (sameYear(date, now)) day = format("day", { day: "numeric", month: "short" }).format(date);
    else day = format("dayYear", { day: "numeric", month: "short", year: "numeric" }).format(date);
    return withTime ? interpolate(gettext("%(day)s, %(time)s"), { day: day, time: clock }, true) : day;
  }

  // A day separator's words: "Today", "Yesterday", else "Tuesday, 12 March" (with the year
  // when it is not this one).
  function dayLabel(date) {
    var now = new Date();
    var days = dayNumber(now) - dayNumber(date);
    if (days === 0) return gettext("Today");
    if (days === 1) return gettext("Yesterday");
    var year = sameYear(date, now);
    return format(year ? "longDay" : "longDayYear", year ? { weekday: "long", day: "numeric", month: "long" }
      : { weekday: "long", day: "numeric", month: "long", year: "numeric" }).format(date);
  }

  // Every <time datetime> under root (an element or a fragment about to be swapped in) says
  // its time in the reader's zone and language: "day" ones (the room list) as `when` does,
  // the others as `stamp`; an edited mark's title too.
  function localizeTimes(root) {
    Array.prototype.forEach.call(root.querySelectorAll("time[datetime]"), function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (!isNaN(date)) el.textContent = shortTime(date, el.dataset.format !== "day");
    });
    Array.prototype.forEach.call(root.querySelectorAll("[data-edited-at]"), function (el) {
      var date = new Date(el.dataset.editedAt);
      if (!isNaN(date)) el.title = interpolate(gettext("Edited %(when)s"), { when: shortTime(date, true) }, true);
    });
  }

  window.chat = {
    dayNumber: dayNumber,
    dayLabel: dayLabel,
    shortTime: shortTime,
    localizeTimes: localizeTimes,
    config: config,
    uuid: uuid,
    messageList: messageList,
    openRoomId: openRoomId,
    messageIds: messageIds,
    newestMessageId: newestMessageId,
    nearBottom: nearBottom,
    showNewest: showNewest,
    dropShownMessages: dropShownMessages,
    fadeLater: fadeLater,
    toast: toast,
  };
})();
