// Small site-wide behaviour: toasts fade out; HTMX error responses become a toast.
(function () {
  function dismissLater(toast) {
    setTimeout(function () { toast.classList.add("fade"); }, 4000);
    setTimeout(function () { toast.remove(); }, 4600);
  }
  function showToast(text, kind) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (kind || "info");
    toast.setAttribute("role", "status");
    toast.textContent = text;
    box.appendChild(toast);
    dismissLater(toast);
  }
  window.chatToast = showToast;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status === 429) showToast("Too many tries. Please wait and try again.", "error");
    else if (xhr.status >= 500) showToast("Something went wrong on our side. Please try again.", "error");
    else if (xhr.status === 404) showToast("Not found.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("Cannot reach the server. Check your connection.", "error");
  });
})();
