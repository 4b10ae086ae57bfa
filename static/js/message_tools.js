// Message tools on the chat page: replies, reactions, @-mention completion and "Seen".
// Every rule is the server's; this file only makes them quick to use, with the keyboard too:
// - Reply (↩ in a message's actions) puts "Replying to …" above the message box and the
//   message's id in the send form (#reply-to); Esc in the box or × cancels. A reply's quote
//   jumps to the original when it is shown, else its link opens the room around it.
// - React (☺) opens the page's one picker (#reaction-picker: the quick six, "More…" for the
//   palette) for that message; a pick, or a click on a reaction under a message, toggles the
//   reader's reaction (POST /messages/<id>/react/); the room's pages get the new counts live.
//   Esc closes the picker and focus goes back. A long press on a reaction says who reacted.
// - Typing @ and the start of a name in the box offers the room's members (#room-members);
//   ↑/↓ choose, Enter or Tab complete, Esc closes.
// - "Seen": in a direct room under the reader's latest message the other person has read, in a
//   group "Seen by N" (names on hover) under the latest one anybody has; from the read marks
//   the page came with (#read-marks) and the `seen` frames since (live.js hands them here).
//   Nothing for a reader who hides their activity.
// Without JavaScript the links still work: Reply opens the room with the reply under way,
// React a page of emoji.
(function () {
  "use strict";

  function messageOf(id) { return document.getElementById("message-" + id); }

  // --- Replies ------------------------------------------------------------------------------

  function firstLine(message) {
    var body = message.querySelector(".body");
    var file = message.querySelector(".attachment");
    var text = body ? body.textContent : file ? file.textContent : "";
    text = text.trim().split("\n")[0];
    return text.length > 80 ? text.slice(0, 79) + "…" : text;
  }

  function setReply(id) {
    var bar = document.getElementById("reply-bar");
    var message = messageOf(id);
    var box = document.getElementById("message-body");
    if (!bar || !message) return false;
    bar.querySelector("input[name=reply_to]").value = String(id);
    var sender = message.querySelector(".meta .sender");
    bar.querySelector(".quote-sender").textContent = sender ? sender.textContent : "";
    bar.querySelector(".quote-text").textContent = firstLine(message);
    bar.hidden = false;
    if (box) box.focus();
    return true;
  }

  function cancelReply() {
    var bar = document.getElementById("reply-bar");
    if (!bar || bar.hidden) return false;
    bar.querySelector("input[name=reply_to]").value = "";
    bar.hidden = true;
    return true;
  }

  function replyTo() {
    var input = document.getElementById("reply-to");
    return input && input.value ? Number(input.value) : null;
  }

  chat.replyTo = replyTo;
  chat.setReply = setReply;
  chat.cancelReply = cancelReply;

  function flash(message) {
    message.scrollIntoView({ block: "center" });
    message.classList.add("linked");
    setTimeout(function () { message.classList.remove("linked"); }, 2000);
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var reply = target.closest(".reply-action[data-reply]");
    if (reply && setReply(reply.dataset.reply)) {
      event.preventDefault();
      return;
    }
    if (target.closest(".reply-cancel")) {
      event.preventDefault();
      cancelReply();
      var box = document.getElementById("message-body");
      if (box) box.focus();
      return;
    }
    var quote = target.closest(".reply-quote[data-reply-to]");
    var original = quote && messageOf(quote.dataset.replyTo);
    if (original) {
      event.preventDefault();
      flash(original);
    }
  });

  // A message deleted while its replies are shown: their quotes say so (read before the swap:
  // an outerHTML swap's target is gone afterwards).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (!target || !target.classList || !target.classList.contains("message") || !incoming) return;
    if (!incoming.classList.contains("deleted") || event.detail.shouldSwap === false) return;
    var id = Number(incoming.dataset.messageId);
    document.querySelectorAll(".reply-quote[data-reply-to='" + id + "']").forEach(function (quote) {
      quote.innerHTML = '<span class="quote-text deleted">Original message deleted</span>';
    });
    if (replyTo() === id) cancelReply();
  });

  // --- Reactions ----------------------------------------------------------------------------

  var picker = null; // {message id, the link that opened it}

  function react(messageId, emoji) {
    var message = messageOf(messageId);
    var link = message && message.querySelector(".react-action");
    if (!link) return;
    htmx.ajax("POST", link.getAttribute("href"), { source: link, values: { emoji: emoji }, swap: "none" }).catch(function () {});
  }

  function closePicker(giveFocusBack) {
    var box = document.getElementById("reaction-picker");
    if (!box || box.hidden) return false;
    box.hidden = true;
    var more = box.querySelector(".more-reactions");
    if (more) more.setAttribute("aria-expanded", "false");
    box.querySelector(".all-reactions").hidden = true;
    if (giveFocusBack && picker && picker.link.isConnected) picker.link.focus();
    picker = null;
    return true;
  }

  function openPicker(link) {
    var box = document.getElementById("reaction-picker");
    if (!box) return false;
    picker = { id: link.dataset.react, link: link };
    box.hidden = false;
    var place = link.getBoundingClientRect();
    var pane = box.offsetParent ? box.offsetParent.getBoundingClientRect() : { left: 0, top: 0, width: window.innerWidth };
    var left = Math.max(8, Math.min(place.left - pane.left - box.offsetWidth / 2, pane.width - box.offsetWidth - 8));
    var top = place.top - pane.top - box.offsetHeight - 6;
    if (top < 8) top = place.bottom - pane.top + 6;
    box.style.left = left + "px";
    box.style.top = top + "px";
    box.querySelector("[data-pick]").focus();
    return true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) return;
    var open = target.closest(".react-action[data-react]");
    if (open) {
      event.preventDefault();
      if (picker && picker.link === open) closePicker(true);
      else openPicker(open);
      return;
    }
    var pick = target.closest("#reaction-picker [data-pick]");
    if (pick && picker) {
      react(picker.id, pick.dataset.pick);
      closePicker(true);
      return;
    }
    var more = target.closest("#reaction-picker .more-reactions");
    if (more) {
      var all = document.querySelector("#reaction-picker .all-reactions");
      all.hidden = !all.hidden;
      more.setAttribute("aria-expanded", String(!all.hidden));
      return;
    }
    var chip = target.closest(".reaction[data-emoji-react]");
    if (chip) {
      var message = chip.closest(".message");
      if (message) react(message.dataset.messageId, chip.dataset.emojiReact);
      return;
    }
    if (!target.closest("#reaction-picker")) closePicker(false);
  });

  // A long press on a reaction or on "Seen by N" (a touch screen has no hover): who.
  document.addEventListener("contextmenu", function (event) {
    var chip = event.target.closest && event.target.closest(".reaction[data-emoji-react], .seen[title]");
    if (!chip) return;
    event.preventDefault();
    chat.toast(chip.dataset.emojiReact ? chip.dataset.emojiReact + " " + chip.title : interpolate(gettext("Seen by %(names)s"), { names: chip.title }, true), "info");
  });

  // --- Mentions: completion in the message box ----------------------------------------------

  var MENTION_AT_CURSOR = /(^|[^\w.+-])@([\w.+-]*)$/;
  var completion = null; // {start, items, chosen}

  function members() {
    var source = document.getElementById("room-members");
    if (!source) return [];
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return [];
    }
  }

  function menu() { return document.getElementById("mention-menu"); }

  function closeCompletion() {
    completion = null;
    var list = menu();
    if (list) {
      list.hidden = true;
      list.textContent = "";
    }
    var box = document.getElementById("message-body");
    if (box) box.removeAttribute("aria-activedescendant");
  }

  function showCompletion(box) {
    var match = MENTION_AT_CURSOR.exec(box.value.slice(0, box.selectionStart));
    var list = menu();
    if (!match || !list) return closeCompletion();
    var typed = match[2].toLowerCase();
    var me = document.body.dataset.userId;
    var items = members().filter(function (m) {
      return String(m.id) !== me && (m.username.toLowerCase().indexOf(typed) === 0 || m.name.toLowerCase().indexOf(typed) === 0);
    }).slice(0, 8);
    if (!items.length) return closeCompletion();
    completion = { start: box.selectionStart - match[2].length - 1, items: items, chosen: 0 };
    list.textContent = "";
    items.forEach(function (m, i) {
      var option = document.createElement("li");
      option.id = "mention-option-" + i;
      option.setAttribute("role", "option");
      option.dataset.index = String(i);
      var name = document.createElement("strong");
      name.textContent = m.name;
      option.appendChild(name);
      option.appendChild(document.createTextNode(" @" + m.username));
      list.appendChild(option);
    });
    list.hidden = false;
    highlight(box);
  }

  function highlight(box) {
    var list = menu();
    Array.prototype.forEach.call(list.children, function (option, i) {
      option.setAttribute("aria-selected", String(i === completion.chosen));
    });
    box.setAttribute("aria-activedescendant", "mention-option-" + completion.chosen);
  }

  function complete(box, index) {
    var chosen = completion.items[index];
    box.setRangeText("@" + chosen.username + " ", completion.start, box.selectionStart, "end");
    closeCompletion();
    box.focus();
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "message-body") showCompletion(event.target);
  });

  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("#mention-menu [role=option]");
    var box = document.getElementById("message-body");
    if (!option || !completion || !box) return;
    event.preventDefault(); // the box keeps the focus
    complete(box, Number(option.dataset.index));
  });

  // Capture: before rooms.js sends on Enter.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (box.id === "message-body" && completion) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var n = completion.items.length;
        completion.chosen = (completion.chosen + (event.key === "ArrowDown" ? 1 : n - 1)) % n;
        highlight(box);
        return;
      }
      if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        event.preventDefault();
        event.stopImmediatePropagation();
        complete(box, completion.chosen);
        return;
      }
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopImmediatePropagation();
        closeCompletion();
        return;
      }
    }
    if (event.key !== "Escape") return;
    if (closePicker(true)) {
      event.stopImmediatePropagation();
      return;
    }
    if (box.id === "message-body" && !document.querySelector(".emoji-picker[open]") && cancelReply()) {
      event.preventDefault();
    }
  }, true);

  // --- "Seen" -------------------------------------------------------------------------------

  function receipts() {
    var source = document.getElementById("read-marks");
    if (!source) return null;
    try {
      return JSON.parse(source.textContent);
    } catch (error) {
      return null;
    }
  }

  function showSeen() {
    document.querySelectorAll("#messages .seen").forEach(function (label) { label.remove(); });
    var data = receipts();
    var list = chat.messageList();
    var me = document.body.dataset.userId;
    if (!data || data.hidden || !data.marks || !data.marks.length || !list) return;
    var mine = list.querySelectorAll(":scope > .message[data-sender-id='" + me + "']:not(.system)");
    for (var i = mine.length - 1; i >= 0; i--) {
      var id = Number(mine[i].dataset.messageId);
      var readers = data.marks.filter(function (mark) { return mark.up_to >= id; });
      if (!readers.length) continue;
      var label = document.createElement("span");
      label.className = "seen";
      if (data.direct) label.textContent = gettext("Seen");
      else {
        label.textContent = interpolate(ngettext("Seen by %(count)s", "Seen by %(count)s", readers.length), { count: readers.length }, true);
        label.title = readers.map(function (mark) { return mark.name; }).join(pgettext("between the names of a list of people", ", "));
      }
      var bubble = mine[i].querySelector(".bubble");
      if (bubble) bubble.appendChild(label);
      return;
    }
  }

  // A `seen` frame (live.js): another member read further.
  chat.seen = function (frame) {
    var data = receipts();
    var source = document.getElementById("read-marks");
    if (!data || data.hidden || String(data.room) !== String(frame.room)) return;
    if (String(frame.user) === document.body.dataset.userId) return;
    var mark = data.marks.filter(function (m) { return m.user === Number(frame.user); })[0];
    if (mark) mark.up_to = Math.max(mark.up_to, Number(frame.up_to));
    else data.marks.push({ user: Number(frame.user), name: String(frame.name), up_to: Number(frame.up_to) });
    source.textContent = JSON.stringify(data);
    showSeen();
  };

  document.addEventListener("DOMContentLoaded", showSeen);
  document.addEventListener("htmx:afterSettle", showSeen);
  document.addEventListener("htmx:wsAfterMessage", showSeen);

  // Sent over HTTP (no socket yet): the reply went with it.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "send-form" && event.detail.xhr.status < 300) cancelReply();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("message-body");
    if (box) {
      box.setAttribute("aria-autocomplete", "list");
      box.setAttribute("aria-controls", "mention-menu");
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "room-pane") {
      closePicker(false);
      closeCompletion();
    }
  });
})();
