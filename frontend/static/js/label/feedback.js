// Training rounds: after Confirm, the labeling screen shows the answer's feedback in place of
// the picker: right or wrong, the correct classes and, when wrong, the chosen class and a correct
// one side by side (the class fragments the screen already uses), then "Next image" goes on.
(function () {
  "use strict";
  var NS = (window.LabelScreen = window.LabelScreen || {});

  // A minimal panel from the answer's JSON alone, if the fragment cannot be loaded.
  function fallback(body, feedback) {
    var heading = document.createElement("h2");
    heading.id = "label-feedback-title";
    heading.tabIndex = -1;
    heading.textContent = feedback.correct ? "Right" : "Not quite: you chose " + feedback.chosen;
    var list = document.createElement("p");
    list.textContent = "Correct: " + feedback.correct_wnids.join(", ");
    body.replaceChildren(heading, list);
  }

  // "Ask for practice on these two": sent in the background, the screen stays.
  function askForPractice(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var status = form.querySelector("[role=status]");
      var button = form.querySelector("button");
      button.disabled = true;
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) {
            status.textContent = response.ok ? "Asked: an admin will make you a round." : data.detail;
            button.disabled = response.ok;
          });
        })
        .catch(function () {
          status.textContent = "Not sent: no connection.";
          button.disabled = false;
        });
    });
  }

  // options: url (the fragment), feedback (from the answer's response), image (the answered
  // image's URL), panelHtml(wnid, compact) → Promise of a class fragment, onNext().
  function showFeedback(options) {
    var section = document.getElementById("label-feedback");
    var body = document.getElementById("label-feedback-body");
    var image = document.getElementById("label-feedback-image");
    var next = document.getElementById("label-feedback-next");
    var layout = document.getElementById("label-layout");
    section.dataset.correct = String(options.feedback.correct);
    image.src = options.image;
    body.textContent = "";
    layout.hidden = true;
    section.hidden = false;
    next.focus();
    fetch(options.url, { headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then(function (html) {
        body.innerHTML = html;
        body.querySelectorAll("form[data-training-request]").forEach(askForPractice);
        body.querySelectorAll("[data-panel]").forEach(function (column) {
          options
            .panelHtml(column.dataset.panel, true)
            .then(function (panel) {
              column.innerHTML = panel;
              // A column here is for looking: no Choose / Unpin.
              column.querySelectorAll(".candidate-actions").forEach(function (actions) {
                actions.remove();
              });
              // Guide pages open beside the screen, never instead of it.
              column.querySelectorAll("a[href]").forEach(function (link) {
                if (!link.closest("[data-gallery]")) {
                  link.target = "_blank";
                  link.rel = "noopener";
                }
              });
            })
            .catch(function () {
              column.textContent = "This class did not load.";
            });
        });
      })
      .catch(function () {
        fallback(body, options.feedback);
      });
    next.onclick = function () {
      next.onclick = null;
      section.hidden = true;
      body.textContent = "";
      image.removeAttribute("src");
      layout.hidden = false;
      options.onNext();
    };
  }

  NS.showFeedback = showFeedback;
})();
