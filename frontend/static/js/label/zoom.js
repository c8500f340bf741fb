// Zoom and pan of the image to label: the wheel zooms around the pointer, + - 0 zoom from the
// keyboard, a drag or the arrow keys pan while zoomed. The image keeps its fitted box; a CSS
// transform scales and moves it inside the stage, which clips it.
(function () {
  "use strict";
  var NS = (window.LabelScreen = window.LabelScreen || {});

  var MIN = 1;
  var MAX = 8;
  var STEP = 1.25;
  var PAN_STEP = 60; // px per arrow key press

  function Zoom(stage, onChange) {
    this.stage = stage;
    this.image = null;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.onChange = onChange || function () {};
    var self = this;

    stage.addEventListener(
      "wheel",
      function (event) {
        if (!self.image) return;
        event.preventDefault();
        var rect = stage.getBoundingClientRect();
        var factor = event.deltaY < 0 ? STEP : 1 / STEP;
        self.zoomAt(self.scale * factor, event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false }
    );

    var drag = null;
    stage.addEventListener("pointerdown", function (event) {
      if (self.scale <= MIN || event.button !== 0) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY };
      stage.setPointerCapture(event.pointerId);
      stage.classList.add("dragging");
      event.preventDefault();
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      self.panBy(event.clientX - drag.x, event.clientY - drag.y);
      drag.x = event.clientX;
      drag.y = event.clientY;
    });
    var end = function (event) {
      if (!drag || event.pointerId !== drag.id) return;
      drag = null;
      stage.classList.remove("dragging");
    };
    stage.addEventListener("pointerup", end);
    stage.addEventListener("pointercancel", end);
  }

  Zoom.prototype.attach = function (image) {
    this.image = image;
    this.reset();
  };

  Zoom.prototype.reset = function () {
    this.scale = MIN;
    this.x = 0;
    this.y = 0;
    this.apply();
  };

  // Zoom to `scale`, keeping the stage point (px, py) where it is.
  Zoom.prototype.zoomAt = function (scale, px, py) {
    var next = Math.min(MAX, Math.max(MIN, scale));
    if (next === this.scale) return;
    var ratio = next / this.scale;
    this.x = px - (px - this.x) * ratio;
    this.y = py - (py - this.y) * ratio;
    this.scale = next;
    this.apply();
    this.onChange(this.scale);
  };

  Zoom.prototype.zoomBy = function (factor) {
    var rect = this.stage.getBoundingClientRect();
    this.zoomAt(this.scale * factor, rect.width / 2, rect.height / 2);
  };

  Zoom.prototype.zoomIn = function () {
    this.zoomBy(STEP);
  };

  Zoom.prototype.zoomOut = function () {
    this.zoomBy(1 / STEP);
  };

  Zoom.prototype.fit = function () {
    if (this.scale === MIN) return;
    this.reset();
    this.onChange(this.scale);
  };

  Zoom.prototype.zoomed = function () {
    return this.scale > MIN;
  };

  Zoom.prototype.panBy = function (dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply();
  };

  // Arrow keys move the view the way the arrow points (the image moves the other way).
  Zoom.prototype.panKey = function (key) {
    var moves = {
      ArrowLeft: [PAN_STEP, 0],
      ArrowRight: [-PAN_STEP, 0],
      ArrowUp: [0, PAN_STEP],
      ArrowDown: [0, -PAN_STEP],
    };
    if (!moves[key]) return false;
    this.panBy(moves[key][0], moves[key][1]);
    return true;
  };

  // Keep the zoomed image covering the stage: no panning into empty space.
  Zoom.prototype.clamp = function () {
    var width = this.stage.clientWidth;
    var height = this.stage.clientHeight;
    this.x = Math.min(0, Math.max(width * (1 - this.scale), this.x));
    this.y = Math.min(0, Math.max(height * (1 - this.scale), this.y));
  };

  Zoom.prototype.apply = function () {
    this.clamp();
    if (this.image) {
      this.image.style.transform =
        this.scale === MIN
          ? ""
          : "translate(" + this.x + "px, " + this.y + "px) scale(" + this.scale + ")";
    }
    this.stage.classList.toggle("zoomed", this.scale > MIN);
    this.stage.dataset.zoom = String(Math.round(this.scale * 100));
  };

  NS.Zoom = Zoom;
})();
