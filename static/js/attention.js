// Attention: what tells a person that messages came while they looked elsewhere.
// - The tab title counts unread messages, "(3) Bob · Chat", and the Chats link shows the same
//   number (#unread-total): the server's count when the page was made (#attention-config,
//   rooms.context_processors; muted rooms left out), plus each new message by someone else
//   that this page sees arrive (the room-list preview of every message frame, which reaches
//   every page of the person), unless its room is muted, or open in this tab while it is seen.
// - Desktop notifications (the browser's Notification API), when the profile allows them, for
//   those messages, unless another tab shows the room (tabs tell each other on a
//   BroadcastChannel which room they show). Asked for once, politely (#notify-ask).
// - Mute (the room header's #mute-form): the answer says the new state.
(function () {
  "use strict";

  var source = document.getElementById("attention-config");
  if (!source || !window.chat) return;
  var config = JSON.parse(source.textContent);
  var me = document.body.dataset.userId;
  var base = Number(config.unread) || 0; // the server's count
  var counted = {}; // message id -> room id: arrived here since, unread
  var muted = {};
  (config.muted || []).forEach(function (id) { muted[String(id)] = true; });
  var ASKED = "chat.notify-asked";
  var TITLE_COUNT = /^\(\d+\+?\) /;

  function visible() { return document.visibilityState === "visible"; }
  function seenHere(room) { return visible() && room === chat.openRoomId(); }

  function total() {
    var n = base;
    Object.keys(counted).forEach(function () { n++; });
    return n;
  }

  function render() {
    var n = total();
    var shown = n >= config.most ? config.most + "+" : String(n);
    var title = document.title.replace(TITLE_COUNT, "");
    document.title = n ? "(" + shown + ") " + title : title;
    var badge = document.getElementById("unread-total");
    if (badge) {
      badge.classList.toggle("hidden", !n);
      badge.firstChild.textContent = shown;
    }
  }

  // The messages of one frame, as the room list's previews name them.
  function arrivals(html) {
    if (typeof html !== "string" || html.indexOf('data-live="preview"') < 0) return [];
    var template = document.createElement("template");
    template.innerHTML = html;
    return Array.prototype.map.call(template.content.querySelectorAll('[data-live="preview"]'), function (el) {
      return { room: el.dataset.roomId, id: el.dataset.messageId, sender: el.dataset.senderId, text: el.textContent.trim() };
    });
  }

  // Capture: before htmx (and the drop-unshown extension) make the frame into swaps.
  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    arrivals(event.detail.message).forEach(function (message) {
      if (message.id && muted[message.room]) lastMuted[message.room] = message;
      if (!message.id || message.sender === me || muted[message.room] || counted[message.id]) return;
      if (seenHere(message.room)) return;
      counted[message.id] = message.room;
      notify(message);
    });
    render();
  }, true);

  // A mention notifies even in a muted room (live.js fires chat:mentioned after the frame),
  // without counting in the title.
  var lastMuted = {};
  document.body.addEventListener("chat:mentioned", function (event) {
    var room = String(event.detail && event.detail.room);
    var message = lastMuted[room];
    delete lastMuted[room];
    if (message && muted[room] && message.sender !== me && !seenHere(room)) notify(message);
  });

  function forgetRoom(room) {
    Object.keys(counted).forEach(function (id) { if (counted[id] === room) delete counted[id]; });
  }

  document.addEventListener("visibilitychange", function () {
    if (visible() && chat.openRoomId()) forgetRoom(chat.openRoomId());
    render();
    tellTabs();
  });

  document.addEventListener("htmx:afterSettle", function () {
    // Another room opened in place: the server's count came with it (read marks moved).
    var badge = document.getElementById("unread-total");
    if (badge && badge.dataset.count !== undefined && badge.dataset.counted !== "1") {
      badge.dataset.counted = "1";
      base = Number(badge.dataset.count) || 0;
      counted = {};
    }
    render();
    tellTabs();
  });

  // --- Mute ---------------------------------------------------------------------------------

  // The open room's button says whether it is muted (its answer replaces it).
  document.addEventListener("htmx:afterSwap", function () {
    var form = document.getElementById("mute-form");
    if (!form || !!muted[form.dataset.roomId] === !!form.dataset.muted) return;
    if (form.dataset.muted) muted[form.dataset.roomId] = true;
    else delete muted[form.dataset.roomId];
    forgetRoom(form.dataset.roomId);
    render();
  });

  // --- Desktop notifications ------------------------------------------------------------------

  var tab = chat.uuid();
  var others = {}; // tab id -> {room, at}: the room another tab shows, and when it said so
  var channel = window.BroadcastChannel ? new BroadcastChannel("chat-attention") : null;
  function tellTabs() {
    if (channel) channel.postMessage({ tab: tab, room: visible() ? chat.openRoomId() : null, at: Date.now() });
  }
  if (channel) {
    channel.onmessage = function (event) { if (event.data && event.data.tab) others[event.data.tab] = event.data; };
    setInterval(tellTabs, 20000);
    window.addEventListener("pagehide", function () { channel.postMessage({ tab: tab, room: null, at: Date.now() }); });
  }
  function seenElsewhere(room) {
    var now = Date.now();
    return Object.keys(others).some(function (id) { return others[id].room === room && now - others[id].at < 45000; });
  }

  function roomTitle(room) {
    var title = document.querySelector("#room-item-" + CSS.escape(room) + " .room-title");
    return title ? title.childNodes[0].textContent.trim() : gettext("New message");
  }

  function notify(message) {
    if (!config.notify || !("Notification" in window) || Notification.permission !== "granted") return;
    if (seenElsewhere(message.room)) return;
    var notice = new Notification(roomTitle(message.room), { body: message.text, tag: "message-" + message.id });
    notice.onclick = function () {
      window.focus();
      window.location.href = config.room_url.replace("/0/", "/" + encodeURIComponent(message.room) + "/");
    };
  }

  function askOnce() {
    var ask = document.getElementById("notify-ask");
    if (!ask || !config.notify || !("Notification" in window) || Notification.permission !== "default") return;
    if (!document.querySelector(".chat") || window.localStorage.getItem(ASKED)) return;
    ask.hidden = false;
  }
  document.addEventListener("click", function (event) {
    var answer = event.target.closest && event.target.closest("#notify-ask [data-notify]");
    if (!answer) return;
    window.localStorage.setItem(ASKED, "1");
    document.getElementById("notify-ask").hidden = true;
    if (answer.dataset.notify === "yes") Notification.requestPermission();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var badge = document.getElementById("unread-total");
    if (badge) badge.dataset.counted = "1"; // the count this page began with
    render();
    tellTabs();
    askOnce();
  });

  window.attention = { total: total };
})();
