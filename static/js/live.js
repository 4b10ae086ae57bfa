// Live chat on top of htmx's ws extension (the socket lives on #live in base.html).
//
// htmx swaps the server's fragments into place; this file adds what it cannot do alone:
// - on every (re)connect, and after a layer outage, ask for what the open room missed
//   ({"type": "resume"}), so nothing is lost and nothing shows twice (messages are keyed
//   by id); and fetch the current state of the shown messages that were edited or deleted
//   meanwhile (GET the room's changes URL);
// - let a message replace itself (an edit, a delete) only with a newer state of it
//   (data-version), whatever order the replacements arrive in;
// - leave a window into the history (#messages[data-history]: a favorite, a search result)
//   as it is: new messages do not join it;
// - send from the message box over the socket, with a client id that makes a resend safe;
//   while the socket is down the text stays in the box and goes out on reconnect;
// - keep the reader's place: follow new messages at the bottom, else show a pill;
// - count unread messages in other rooms and move the busiest room to the top;
// - "Bob is typing…" for 5 seconds; reconnect after any unexpected close; reload the friend
//   list when a friend comes or goes;
// - tell the server which messages were seen ({"type": "read"}): those shown in the open
//   room while the tab is visible, at most once a second; a hidden tab reads nothing until
//   it is shown again.
(function () {
  "use strict";

  var live = document.getElementById("live");
  if (!live) return;
  var me = live.dataset.userId;
  var socket = null; // the ws extension's wrapper, once connected
  var connected = false;
  var pending = []; // messages typed but not yet confirmed: {room, body, client_id}
  var typingTimers = {};
  var lastTypingSent = 0;

  // --- Helpers ----------------------------------------------------------------------------

  function messageList() { return document.getElementById("messages"); }
  function openRoomId() {
    var list = messageList();
    return list ? list.dataset.roomId : null;
  }
  function newestMessageId() {
    var ids = Array.prototype.map.call(
      document.querySelectorAll("#messages > .message[data-message-id]"),
      function (el) { return Number(el.dataset.messageId); });
    return ids.length ? Math.max.apply(null, ids) : 0;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }
  function nearBottom(list) { return list.scrollHeight - list.scrollTop - list.clientHeight < 60; }
  function showNewest() {
    var list = messageList();
    if (list) list.scrollTop = list.scrollHeight;
    var pill = document.getElementById("new-messages");
    if (pill) pill.hidden = true;
  }
  // The extension's socket wrapper (htmx keeps it in the element's internal data).
  function wrapper() {
    var data = live["htmx-internal-data"];
    return data && data.webSocket;
  }
  function reconnectIfClosed() {
    var w = wrapper();
    if (!connected && w && w.socket && w.socket.readyState === WebSocket.CLOSED) w.init();
  }
  function sendFrame(frame) {
    if (!connected || !socket) return false;
    socket.sendImmediately(JSON.stringify(frame));
    return true;
  }
  function setStatus(text) {
    var notice = document.getElementById("live-notice");
    if (!notice) return;
    notice.textContent = text || "";
    notice.hidden = !text;
  }

  // --- Catching up ------------------------------------------------------------------------

  function resume() {
    var list = messageList();
    var room = openRoomId();
    if (!room) return;
    if (!list.hasAttribute("data-history")) {
      sendFrame({ type: "resume", room: Number(room), after: newestMessageId() });
    }
    refreshChanged(list);
  }

  // The edits and deletes of the shown messages that this page may have missed.
  function refreshChanged(list) {
    var ids = Array.prototype.map.call(list.querySelectorAll(":scope > .message[data-message-id]"),
      function (el) { return Number(el.dataset.messageId); });
    if (!ids.length || !list.dataset.changesUrl || !window.htmx) return;
    var url = list.dataset.changesUrl + "?from=" + Math.min.apply(null, ids) + "&to=" + Math.max.apply(null, ids);
    // Aimed at the socket's element: the answer only replaces messages, and the page keeps
    // its place (a swap into #messages would scroll it to the newest).
    htmx.ajax("GET", url, { source: live, target: live, swap: "none" });
  }

  function sendPending() {
    pending.forEach(function (item) {
      sendFrame({ type: "send", room: Number(item.room), body: item.body, client_id: item.client_id });
    });
  }

  live.addEventListener("htmx:wsOpen", function (event) {
    socket = event.detail.socketWrapper;
    connected = true;
    setStatus("");
    resume();
    sendPending();
  });

  live.addEventListener("htmx:wsClose", function (event) {
    connected = false;
    var code = event.detail.event.code;
    if (code === 4401 || code === 4403) {
      setStatus("You are logged out. Reload the page to log in again.");
      return;
    }
    if (code === 4429) {
      setStatus("This site is open in too many tabs. Close some, then reload this one.");
      return;
    }
    setStatus("Reconnecting… messages you send now go out when the connection is back.");
    // The extension retries by itself after abnormal closes; retry after the others too.
    if ([1006, 1011, 1012, 1013].indexOf(code) < 0) setTimeout(reconnectIfClosed, 1000);
  });

  // Back online: reconnect now rather than at the end of the extension's back-off.
  window.addEventListener("online", reconnectIfClosed);

  // Another room was opened: fetch anything sent between its render and now.
  var shownRoom = null;
  function roomMaybeChanged() {
    var room = openRoomId();
    if (room !== shownRoom) {
      shownRoom = room;
      resume();
    }
  }
  document.addEventListener("DOMContentLoaded", function () { shownRoom = openRoomId(); });
  document.body.addEventListener("htmx:afterSettle", roomMaybeChanged);

  // --- Frames from the server -------------------------------------------------------------

  live.addEventListener("htmx:wsBeforeMessage", function (event) {
    var html = event.detail.message;
    if (html.indexOf('data-live="resync"') >= 0) resume();
    // A friend came or went: the friend list (#friend-rows) reloads itself on this event.
    if (html.indexOf('data-live="friends"') >= 0) htmx.trigger(document.body, "friends-changed");
    if (html.indexOf('data-live="reload"') >= 0) {
      var match = /data-room-id="(\d+)"/.exec(html);
      if (match && match[1] === openRoomId()) window.location.reload();
    }
  });

  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    if (target.id === "messages" && target.hasAttribute("data-history")) {
      event.detail.shouldSwap = false; // older messages on show: "Jump to the newest" gets the new ones
    } else if (target.id === "messages") {
      // Keyed by id: a message already on the page (resume, a repeat) is not added again.
      Array.prototype.forEach.call(fragment.querySelectorAll(".message[data-message-id]"), function (el) {
        if (document.getElementById(el.id)) el.remove();
      });
      target.dataset.wasNearBottom = nearBottom(target) ? "1" : "";
    } else if (target.classList && target.classList.contains("message")) {
      // A message replacing itself: never with an older state than the one shown.
      var incoming = fragment.firstElementChild;
      if (incoming && Number(incoming.dataset.version || 0) < Number(target.dataset.version || 0)) {
        event.detail.shouldSwap = false;
      } else if (incoming && target.querySelector(".htmx-request")) {
        // This page's own action on the message is on its way (a delete, an edit, a star):
        // replacing the message now would take the asking link away, and its answer would
        // then swap nowhere. The replacement waits for that answer.
        event.detail.shouldSwap = false;
        waitingReplacements[incoming.id] = incoming.cloneNode(true);
      }
    } else if (target.id === "room-items") {
      // A room this reader just joined: replace its old item rather than list it twice.
      Array.prototype.forEach.call(fragment.querySelectorAll("li[id^='room-item-']"), function (el) {
        var old = document.getElementById(el.id);
        if (old) old.remove();
      });
    }
  });

  // Replacements that waited for an action's answer: each goes in if still newer than what the
  // answer showed.
  var waitingReplacements = {};
  document.addEventListener("htmx:afterRequest", function () {
    Object.keys(waitingReplacements).forEach(function (id) {
      var current = document.getElementById(id);
      if (current && current.querySelector(".htmx-request")) return; // still on its way
      var incoming = waitingReplacements[id];
      delete waitingReplacements[id];
      if (current && Number(incoming.dataset.version || 0) > Number(current.dataset.version || 0)) {
        htmx.swap(current, incoming.outerHTML, { swapStyle: "outerHTML" });
      }
    });
  });

  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "messages") onMessagesAdded(target);
    else if (target.classList && target.classList.contains("room-preview")) onPreview(target);
    else if (target.classList && target.classList.contains("typing")) onTyping(target);
  });

  // --- Read marks -------------------------------------------------------------------------

  var readUpTo = {}; // room id -> the newest message id this page told the server it showed
  var readTimer = null;
  var lastReadAt = 0;
  function sendRead() {
    var list = messageList();
    var room = openRoomId();
    if (!room || list.hasAttribute("data-history") || document.visibilityState !== "visible") return;
    var newest = newestMessageId();
    if (newest > (readUpTo[room] || 0) && sendFrame({ type: "read", room: Number(room), up_to: newest })) {
      readUpTo[room] = newest;
      lastReadAt = Date.now();
    }
  }
  function readSoon() {
    if (readTimer) return;
    readTimer = setTimeout(function () {
      readTimer = null;
      sendRead();
    }, Math.max(0, lastReadAt + 1000 - Date.now()));
  }
  document.addEventListener("visibilitychange", readSoon);

  function onMessagesAdded(list) {
    readSoon();
    var confirmed = [];
    Array.prototype.forEach.call(list.querySelectorAll(".message[data-client-id]"), function (el) {
      confirmed.push(el.dataset.clientId);
    });
    var sentHere = confirmMessages(confirmed);
    // Whoever just wrote is no longer typing.
    var typing = document.getElementById("typing-" + list.dataset.roomId);
    if (typing) typing.textContent = "";
    sortMessages(list);
    // Following the conversation, or just sent something from this tab: show the newest.
    if (list.dataset.wasNearBottom || sentHere) showNewest();
    else {
      var pill = document.getElementById("new-messages");
      if (pill) pill.hidden = false;
    }
  }

  function sortMessages(list) {
    // Messages from several processes can arrive a little out of order: keep id order.
    var items = Array.prototype.slice.call(list.querySelectorAll(":scope > .message[data-message-id]"));
    for (var i = 1; i < items.length; i++) {
      if (Number(items[i].dataset.messageId) < Number(items[i - 1].dataset.messageId)) {
        items.sort(function (a, b) { return Number(a.dataset.messageId) - Number(b.dataset.messageId); });
        items.forEach(function (el) { list.appendChild(el); });
        return;
      }
    }
  }

  function onPreview(preview) {
    var item = preview.closest("li[id^='room-item-']");
    if (!item) return;
    if (preview.dataset.changed) { // the latest message was edited or deleted: nothing new
      preview.dataset.changed = "";
      return;
    }
    var roomId = item.id.replace("room-item-", "");
    var list = item.parentNode;
    if (list.firstElementChild !== item) list.insertBefore(item, list.firstElementChild);
    var senderId = preview.querySelector("[data-sender-id]");
    var sender = preview.dataset.senderId || (senderId && senderId.dataset.senderId);
    if (roomId === openRoomId() || sender === me) return;
    var meta = item.querySelector(".room-meta");
    var badge = item.querySelector(".badge.unread");
    if (!badge && meta) {
      badge = document.createElement("span");
      badge.className = "badge unread";
      badge.textContent = "0";
      meta.appendChild(badge);
    }
    if (badge) {
      badge.textContent = String(Number(badge.textContent) + 1);
      badge.setAttribute("aria-label", badge.textContent + " unread messages");
    }
  }

  function onTyping(line) {
    if (line.dataset.userId === me) { line.textContent = ""; return; }
    clearTimeout(typingTimers[line.id]);
    typingTimers[line.id] = setTimeout(function () {
      var current = document.getElementById(line.id);
      if (current) current.textContent = "";
    }, 5000);
  }

  // The preview element carries who sent the message (copied before htmx swaps its text).
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (target.classList && target.classList.contains("room-preview")) {
      var source = event.detail.fragment.firstElementChild || event.detail.fragment;
      if (source && source.dataset) {
        target.dataset.senderId = source.dataset.senderId || "";
        target.dataset.changed = source.dataset.live === "preview-changed" ? "1" : "";
      }
    }
  });

  // --- Sending ----------------------------------------------------------------------------

  // Forget the pending messages now stored; returns how many there were.
  function confirmMessages(clientIds) {
    if (!clientIds.length) return 0;
    var waiting = pending.length;
    var box = document.getElementById("message-body");
    pending = pending.filter(function (item) {
      if (clientIds.indexOf(item.client_id) < 0) return true;
      if (box && box.value.trim() === item.body.trim()) box.value = "";
      return false;
    });
    if (!pending.length) setSending(false);
    return waiting - pending.length;
  }

  function setSending(on) {
    var form = document.getElementById("send-form");
    if (form) form.classList.toggle("sending", on);
  }

  // Capture phase: the socket takes the send before htmx's own (HTTP) handler sees it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "send-form") return;
    var room = openRoomId();
    var box = form.querySelector("textarea[name=body]");
    // Never connected (no WebSocket here): the form posts over HTTP as it is.
    if (!room || !box || !socket) return;
    event.preventDefault();
    event.stopPropagation();
    var body = box.value;
    if (!body.trim()) return;
    var idField = form.querySelector("input[name=client_id]");
    var item = { room: room, body: body, client_id: (idField && idField.value) || uuid() };
    pending.push(item);
    if (idField) idField.value = uuid(); // the next message gets a new id
    setSending(true);
    var error = document.getElementById("send-error");
    if (error) error.textContent = "";
    if (!sendFrame({ type: "send", room: Number(room), body: body, client_id: item.client_id })) {
      setStatus("Not connected: your message stays in the box and is sent when the connection is back.");
    } else if (box.value === body) {
      // Keep the text until it is confirmed only if we are offline; online, clear at once
      // and put it back should the server refuse it.
      box.value = "";
      item.cleared = true;
    }
  }, true);

  // A refusal (too fast, too long…): give the text back so nothing typed is lost.
  live.addEventListener("htmx:wsAfterMessage", function (event) {
    if (event.detail.message.indexOf('data-live="error"') < 0) return;
    var box = document.getElementById("message-body");
    var refused = pending.filter(function (item) { return item.cleared; });
    pending = pending.filter(function (item) { return !item.cleared; });
    if (box && refused.length && !box.value) box.value = refused[refused.length - 1].body;
    setSending(false);
  });

  // Typing: tell the room at most every 2 seconds while the box changes.
  document.addEventListener("input", function (event) {
    if (event.target.id !== "message-body") return;
    var now = Date.now();
    var room = openRoomId();
    if (room && now - lastTypingSent > 2000 && sendFrame({ type: "typing", room: Number(room) })) {
      lastTypingSent = now;
    }
  });

  document.addEventListener("click", function (event) {
    if (event.target.id === "new-messages") showNewest();
  });

  var watched = null;
  function watchScroll() {
    var list = messageList();
    if (!list || list === watched) return;
    watched = list;
    list.addEventListener("scroll", function () {
      if (nearBottom(list)) {
        var pill = document.getElementById("new-messages");
        if (pill) pill.hidden = true;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", watchScroll);
  document.body.addEventListener("htmx:afterSettle", watchScroll);
})();
