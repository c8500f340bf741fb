// The labeling guide's small helpers: filter the index as you type, and preview Markdown live.
// No dependencies. The preview HTML comes from the server, already sanitized (same as saving).
(function () {
  "use strict";

  function setupFilter(input) {
    var root = document.querySelector(input.getAttribute("data-guide-filter"));
    if (!root) return;
    var items = root.querySelectorAll("[data-filter-text]");
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      items.forEach(function (item) {
        var text = item.getAttribute("data-filter-text");
        item.hidden = !words.every(function (word) { return text.indexOf(word) !== -1; });
      });
    });
  }

  function setupPreview(editor) {
    var url = editor.getAttribute("data-preview-url");
    var textarea = editor.querySelector("textarea");
    var target = editor.querySelector(".guide-preview");
    var form = editor.closest("form");
    var tokenInput = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!url || !textarea || !target || !tokenInput) return;
    var timer = null;
    var sent = 0;

    function refresh() {
      var mine = ++sent;
      var body = new FormData();
      body.append("text", textarea.value);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput.value, "Accept": "application/json" }
      })
        .then(function (response) {
          if (!response.ok) throw new Error("preview failed: " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (mine !== sent) return; // an older answer arriving late
          target.innerHTML = data.html; // sanitized by the server (nh3 allow-list)
          target.classList.remove("stale");
        })
        .catch(function () { target.classList.add("stale"); });
    }

    textarea.addEventListener("input", function () {
      target.classList.add("stale");
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-guide-filter]").forEach(setupFilter);
    document.querySelectorAll(".guide-editor[data-preview-url]").forEach(setupPreview);
  });
})();
