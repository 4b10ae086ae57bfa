// The chat page: keep the newest message in view, keep the reader's place when older
// messages load above, send with Enter (Shift+Enter for a new line), and empty the box once
// a message is stored.
(function () {
  function messageList() { return document.getElementById("messages"); }
  function showNewest() {
    var list = messageList();
    if (list) list.scrollTop = list.scrollHeight;
  }

  var distanceFromBottom = null;

  document.addEventListener("DOMContentLoaded", showNewest);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var list = messageList();
    if (list && event.detail.target.matches(".load-older")) {
      distanceFromBottom = list.scrollHeight - list.scrollTop;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var list = messageList();
    if (!list) return;
    if (distanceFromBottom !== null) {
      list.scrollTop = list.scrollHeight - distanceFromBottom;
      distanceFromBottom = null;
    } else if (event.detail.target.id === "room-pane" || event.detail.target.id === "messages") {
      showNewest();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    if (event.target.id !== "message-body") return;
    event.preventDefault();
    event.target.form.requestSubmit();
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id === "send-form" && event.detail.xhr.status < 300) {
      form.querySelector("textarea").value = "";
    }
  });
})();
