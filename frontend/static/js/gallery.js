// Reference galleries: a thumbnail (a button, so Tab and Enter work) opens the enlarged image in
// the page's <dialog id="image-viewer">; ArrowLeft/ArrowRight move within that thumbnail's
// gallery, Escape (native to <dialog>) closes it and focus returns to the thumbnail.
(function () {
  "use strict";
  var viewer = document.getElementById("image-viewer");
  if (!viewer || typeof viewer.showModal !== "function") return;
  var image = viewer.querySelector(".viewer-image");
  var caption = viewer.querySelector(".viewer-caption");
  var items = [];
  var index = 0;
  var opener = null;

  function show(i) {
    index = (i + items.length) % items.length;
    var thumb = items[index];
    var gallery = thumb.closest("[data-gallery]");
    image.removeAttribute("src"); // no stale picture while the next one loads
    image.width = Number(thumb.dataset.width) || 0;
    image.height = Number(thumb.dataset.height) || 0;
    image.alt = thumb.querySelector("img").alt;
    image.src = thumb.dataset.full;
    caption.textContent = gallery.dataset.galleryName + " — " + (index + 1) + " / " + items.length;
    if (items.length > 1) {
      new Image().src = items[(index + 1) % items.length].dataset.full; // warm the next one
    }
  }

  document.addEventListener("click", function (event) {
    var thumb = event.target.closest("button.thumb");
    if (!thumb) return;
    var gallery = thumb.closest("[data-gallery]");
    items = Array.prototype.slice.call(gallery.querySelectorAll("button.thumb"));
    opener = thumb;
    show(items.indexOf(thumb));
    if (!viewer.open) viewer.showModal();
  });

  viewer.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight") {
      show(index + 1);
      event.preventDefault();
    } else if (event.key === "ArrowLeft") {
      show(index - 1);
      event.preventDefault();
    }
  });

  viewer.addEventListener("click", function (event) {
    var action = event.target.closest("[data-viewer]");
    if (action) {
      if (action.dataset.viewer === "next") show(index + 1);
      else if (action.dataset.viewer === "prev") show(index - 1);
      else viewer.close();
    } else if (event.target === viewer) {
      viewer.close(); // a click on the backdrop
    }
  });

  viewer.addEventListener("close", function () {
    image.removeAttribute("src");
    if (opener) opener.focus();
  });
})();
