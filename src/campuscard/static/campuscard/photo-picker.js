/* Photo picker for the card request: choose a file or take a photo with the camera, then frame
 * it at the ratio of the card's photo (pan, zoom, rotate by quarter turns), with a live preview
 * of the card. The framing goes to the server in hidden fields (see _photo_picker.html):
 *   rotation   0, 90, 180 or 270, clockwise;
 *   crop_x, crop_y, crop_width, crop_height   integers, in pixels of the picture as the
 *              browser shows it (EXIF orientation applied), after the rotation.
 * The server redoes the crop itself from the original file; without this script the fields stay
 * empty and it centres the crop. Every text comes from the template (data-msg-* attributes). */
(function () {
  "use strict";

  var ACCEPTED = ["image/jpeg", "image/png", "image/webp"];
  var DISPLAY_MAX = 2048; // longest side of the copy drawn on screen
  var ZOOM_STEP = 1.15;
  var PAN_STEP = 0.04; // share of the frame moved by one arrow key press (five times with Shift)

  function clamp(value, low, high) {
    return Math.min(Math.max(value, low), high);
  }

  /* The picture with its EXIF orientation applied, as the browser shows it. */
  function decode(file) {
    if (window.createImageBitmap) {
      return window.createImageBitmap(file, { imageOrientation: "from-image" })
        .catch(function () { return decodeWithImage(file); });
    }
    return decodeWithImage(file);
  }

  function decodeWithImage(file) {
    return new Promise(function (resolve, reject) {
      var image = new Image();
      var url = URL.createObjectURL(file);
      image.onload = function () { URL.revokeObjectURL(url); resolve(image); };
      image.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      image.src = url;
    });
  }

  function naturalSize(source) {
    return { width: source.naturalWidth || source.width, height: source.naturalHeight || source.height };
  }

  /* A smaller copy to draw on screen: panning a 24-megapixel picture on a phone stays smooth. */
  function displayCopy(source, size) {
    var scale = Math.min(1, DISPLAY_MAX / Math.max(size.width, size.height));
    if (scale === 1) return source;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(size.width * scale);
    canvas.height = Math.round(size.height * scale);
    var context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return canvas;
  }

  /* --- the framing, in pixels of the rotated picture ------------------------------------- */

  function Framing(size, ratio, minWidth) {
    this.size = size; // the picture as shown, before rotation
    this.ratio = ratio; // width / height of the card photo
    this.minWidth = minWidth; // the crop never gets narrower than the printed photo
    this.reset();
  }

  Framing.prototype.reset = function () {
    this.rotation = 0;
    this.zoom = 1;
    var bounds = this.bounds();
    this.centreX = bounds.width / 2;
    this.centreY = bounds.height / 2;
  };

  Framing.prototype.bounds = function () {
    var turned = this.rotation % 180 !== 0;
    return turned ? { width: this.size.height, height: this.size.width }
      : { width: this.size.width, height: this.size.height };
  };

  /* The widest crop at the ratio that fits in the picture: zoom 1. */
  Framing.prototype.fitWidth = function () {
    var bounds = this.bounds();
    return Math.min(bounds.width, bounds.height * this.ratio);
  };

  Framing.prototype.maxZoom = function () {
    return Math.max(1, this.fitWidth() / this.minWidth);
  };

  Framing.prototype.tooSmall = function () {
    return this.fitWidth() < this.minWidth;
  };

  Framing.prototype.crop = function () {
    var bounds = this.bounds();
    var width = this.fitWidth() / this.zoom;
    var height = width / this.ratio;
    var x = clamp(this.centreX - width / 2, 0, bounds.width - width);
    var y = clamp(this.centreY - height / 2, 0, bounds.height - height);
    return { x: x, y: y, width: width, height: height };
  };

  /* Keep the centre where the crop really is, once clamped inside the picture. */
  Framing.prototype.settle = function () {
    var crop = this.crop();
    this.centreX = crop.x + crop.width / 2;
    this.centreY = crop.y + crop.height / 2;
  };

  Framing.prototype.setZoom = function (zoom) {
    this.zoom = clamp(zoom, 1, this.maxZoom());
    this.settle();
  };

  Framing.prototype.pan = function (dx, dy) {
    this.centreX += dx;
    this.centreY += dy;
    this.settle();
  };

  /* A quarter turn clockwise (+1) or anticlockwise (-1), around the same point of the picture,
   * keeping the size of the crop (the face stays as large in the frame) when it still fits. */
  Framing.prototype.turn = function (quarters) {
    var before = this.bounds();
    var cropWidth = this.crop().width;
    var x = this.centreX;
    var y = this.centreY;
    if (quarters > 0) {
      this.centreX = before.height - y;
      this.centreY = x;
    } else {
      this.centreX = y;
      this.centreY = before.width - x;
    }
    this.rotation = (this.rotation + 90 * quarters + 360) % 360;
    this.setZoom(this.fitWidth() / cropWidth);
  };

  /* Integers for the server, always inside the picture. */
  Framing.prototype.fields = function () {
    var bounds = this.bounds();
    var crop = this.crop();
    var width = Math.min(bounds.width, Math.round(crop.width));
    var height = Math.min(bounds.height, Math.round(width / this.ratio));
    return {
      crop_x: clamp(Math.round(crop.x), 0, bounds.width - width),
      crop_y: clamp(Math.round(crop.y), 0, bounds.height - height),
      crop_width: width,
      crop_height: height,
      rotation: this.rotation
    };
  };

  /* Draw what is inside the crop onto `canvas`, at the canvas' displayed size. */
  function draw(canvas, framing, picture) {
    var box = canvas.getBoundingClientRect();
    if (!box.width) return;
    var scale = window.devicePixelRatio || 1;
    var width = Math.round(box.width * scale);
    var height = Math.round(box.height * scale);
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    var context = canvas.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, width, height);
    var crop = framing.crop();
    var zoom = width / crop.width;
    var bounds = framing.bounds();
    context.imageSmoothingQuality = "high";
    context.setTransform(zoom, 0, 0, zoom, -crop.x * zoom, -crop.y * zoom);
    context.translate(bounds.width / 2, bounds.height / 2);
    context.rotate(framing.rotation * Math.PI / 180);
    context.drawImage(picture, -framing.size.width / 2, -framing.size.height / 2,
      framing.size.width, framing.size.height);
  }

  /* --- one picker ------------------------------------------------------------------------ */

  function Picker(root) {
    this.root = root;
    this.messages = root.dataset;
    this.form = root.closest("form") || document;
    this.input = root.querySelector("input[type=file]");
    this.editor = root.querySelector("[data-editor]");
    this.frame = root.querySelector("[data-frame]");
    this.frameCanvas = root.querySelector("[data-frame-canvas]");
    this.zoomInput = root.querySelector("[data-zoom]");
    this.message = root.querySelector("[data-message]");
    this.status = root.querySelector("[data-status]");
    this.camera = root.querySelector("[data-camera]");
    this.video = root.querySelector("[data-video]");
    this.preview = this.form.querySelector("[data-card-photo]") ||
      document.querySelector("[data-card-photo]");
    this.width = parseInt(root.dataset.photoWidth, 10);
    this.height = parseInt(root.dataset.photoHeight, 10);
    this.maxBytes = parseInt(root.dataset.maxBytes, 10) || 0;
    this.framing = null;
    this.picture = null;
    this.pointers = new Map();
    this.stream = null;
    this.pending = false;
    this.percent = new Intl.NumberFormat(document.documentElement.lang || undefined,
      { style: "percent", maximumFractionDigits: 0 });
    this.writeFields(null);
    this.bind();
  }

  Picker.prototype.field = function (name) {
    return this.root.querySelector("input[name$='" + name + "']");
  };

  Picker.prototype.writeFields = function (values) {
    ["crop_x", "crop_y", "crop_width", "crop_height", "rotation"].forEach(function (name) {
      var input = this.field(name);
      if (input) input.value = values ? String(values[name]) : "";
    }, this);
  };

  Picker.prototype.bind = function () {
    var self = this;
    this.input.addEventListener("change", function () { self.load(self.input.files[0]); });
    // A file chosen before this script ran (slow connection, or restored by the browser on
    // "back") would otherwise never be framed.
    if (this.input.files && this.input.files.length) this.load(this.input.files[0]);
    this.root.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-action]");
      if (button) self.act(button.dataset.action);
    });
    this.zoomInput.addEventListener("input", function () {
      self.change(function (framing) { framing.setZoom(parseFloat(self.zoomInput.value)); });
    });
    this.frame.addEventListener("keydown", function (event) { self.key(event); });
    this.frame.addEventListener("pointerdown", function (event) { self.pointerDown(event); });
    this.frame.addEventListener("pointermove", function (event) { self.pointerMove(event); });
    ["pointerup", "pointercancel", "lostpointercapture"].forEach(function (type) {
      self.frame.addEventListener(type, function (event) { self.pointers.delete(event.pointerId); });
    });
    this.frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      self.zoomBy(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP);
    }, { passive: false });
    window.addEventListener("resize", function () { self.redraw(); });
    if (this.cameraPossible()) this.root.querySelector("[data-action=camera]").hidden = false;
  };

  Picker.prototype.act = function (action) {
    var actions = {
      "zoom-in": function () { this.zoomBy(ZOOM_STEP); },
      "zoom-out": function () { this.zoomBy(1 / ZOOM_STEP); },
      "rotate-left": function () { this.turn(-1); },
      "rotate-right": function () { this.turn(1); },
      reset: function () { this.change(function (framing) { framing.reset(); }, true); },
      camera: this.openCamera,
      snap: this.snap,
      "camera-close": this.closeCamera
    };
    if (actions[action]) actions[action].call(this);
  };

  /* --- loading a picture ----------------------------------------------------------------- */

  Picker.prototype.load = function (file) {
    var self = this;
    this.clear();
    var refusal = !file ? "" : this.maxBytes && file.size > this.maxBytes ? "msgTooLarge"
      : ACCEPTED.indexOf(file.type) < 0 ? "msgNotImage" : null;
    if (refusal !== null) {
      this.warn(this.messages[refusal]);
      return Promise.resolve(false);
    }
    return decode(file).then(function (source) {
      var size = naturalSize(source);
      if (!size.width || !size.height) throw new Error("empty");
      self.show(source, size);
      return true;
    }).catch(function () {
      self.warn(self.messages.msgNotImage);
      return false;
    });
  };

  Picker.prototype.clear = function () {
    this.framing = null;
    this.picture = null;
    this.editor.hidden = true;
    this.warn("");
    this.writeFields(null);
    if (this.preview) this.preview.closest(".card-photo").classList.remove("framed");
  };

  Picker.prototype.show = function (source, size) {
    this.picture = displayCopy(source, size);
    this.framing = new Framing(size, this.width / this.height, this.width);
    this.editor.hidden = false;
    if (this.framing.tooSmall()) this.warn(this.messages.msgTooSmall);
    if (this.preview) this.preview.closest(".card-photo").classList.add("framed");
    this.update(true);
    this.announce(this.messages.msgLoaded);
  };

  Picker.prototype.warn = function (text) {
    this.message.textContent = text || "";
    this.message.hidden = !text;
  };

  Picker.prototype.announce = function (text) {
    this.status.textContent = text;
  };

  /* --- changing the framing -------------------------------------------------------------- */

  Picker.prototype.change = function (how, announce) {
    if (!this.framing) return;
    how(this.framing);
    this.update(announce);
  };

  Picker.prototype.zoomBy = function (factor) {
    this.change(function (framing) { framing.setZoom(framing.zoom * factor); }, true);
  };

  Picker.prototype.turn = function (quarters) {
    this.change(function (framing) { framing.turn(quarters); }, true);
  };

  Picker.prototype.update = function (announce) {
    var framing = this.framing;
    this.writeFields(framing.fields());
    var max = framing.maxZoom();
    this.zoomInput.max = String(max);
    this.zoomInput.value = String(framing.zoom);
    this.zoomInput.disabled = max <= 1;
    var label = this.percent.format(framing.zoom);
    this.zoomInput.setAttribute("aria-valuetext", label);
    this.root.querySelector("[data-action=zoom-in]").disabled = framing.zoom >= max - 1e-6;
    this.root.querySelector("[data-action=zoom-out]").disabled = framing.zoom <= 1 + 1e-6;
    if (announce) {
      this.announce(this.zoomLabel() + " " + label + ", " + this.messages.msgRotation + " " +
        framing.rotation + "°");
    }
    this.redraw();
  };

  Picker.prototype.zoomLabel = function () {
    var label = this.root.querySelector("label[for='" + this.zoomInput.id + "']");
    return label ? label.textContent : "";
  };

  Picker.prototype.redraw = function () {
    var self = this;
    if (this.pending || !this.framing) return;
    this.pending = true;
    window.requestAnimationFrame(function () {
      self.pending = false;
      if (!self.framing) return;
      draw(self.frameCanvas, self.framing, self.picture);
      if (self.preview) draw(self.preview, self.framing, self.picture);
    });
  };

  /* Moving the photo: the crop moves the other way. `dx`, `dy` are in frame pixels. */
  Picker.prototype.moveBy = function (dx, dy) {
    var scale = this.framing.crop().width / this.frame.getBoundingClientRect().width;
    this.change(function (framing) { framing.pan(-dx * scale, -dy * scale); });
  };

  Picker.prototype.key = function (event) {
    if (!this.framing) return;
    var step = this.frame.getBoundingClientRect().width * PAN_STEP * (event.shiftKey ? 5 : 1);
    var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step],
      ArrowDown: [0, step] };
    if (moves[event.key]) {
      this.moveBy(moves[event.key][0], moves[event.key][1]);
    } else if (event.key === "+" || event.key === "=") {
      this.zoomBy(ZOOM_STEP);
    } else if (event.key === "-" || event.key === "_") {
      this.zoomBy(1 / ZOOM_STEP);
    } else {
      return;
    }
    event.preventDefault();
  };

  Picker.prototype.pointerDown = function (event) {
    if (!this.framing) return;
    this.frame.setPointerCapture(event.pointerId);
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    event.preventDefault();
    this.frame.focus({ preventScroll: true });
  };

  /* One finger (or the mouse) moves the photo; two fingers pinch to zoom. */
  Picker.prototype.pointerMove = function (event) {
    var last = this.pointers.get(event.pointerId);
    if (!last) return;
    var now = { x: event.clientX, y: event.clientY };
    if (this.pointers.size === 1) {
      this.moveBy(now.x - last.x, now.y - last.y);
    } else if (this.pointers.size === 2) {
      var other = Array.from(this.pointers.entries())
        .filter(function (entry) { return entry[0] !== event.pointerId; })[0][1];
      var before = Math.hypot(last.x - other.x, last.y - other.y);
      var after = Math.hypot(now.x - other.x, now.y - other.y);
      if (before > 0) {
        this.change(function (framing) { framing.setZoom(framing.zoom * after / before); });
      }
    }
    this.pointers.set(event.pointerId, now);
  };

  /* --- the camera ------------------------------------------------------------------------ */

  Picker.prototype.cameraPossible = function () {
    return Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia &&
      window.isSecureContext && typeof DataTransfer === "function");
  };

  Picker.prototype.openCamera = function () {
    var self = this;
    var snapButton = this.root.querySelector("[data-action=snap]");
    snapButton.disabled = true; // until the camera shows a picture, there is nothing to take
    var wanted = { video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 960 } },
      audio: false };
    navigator.mediaDevices.getUserMedia(wanted).then(function (stream) {
      self.stream = stream;
      self.video.srcObject = stream;
      self.camera.hidden = false;
      self.editor.hidden = true;
      self.warn("");
      return self.video.play();
    }).then(function () {
      snapButton.disabled = false;
      snapButton.focus();
    }).catch(function (error) {
      self.closeCamera();
      var missing = error && (error.name === "NotFoundError" || error.name === "OverconstrainedError");
      self.warn(missing ? self.messages.msgCameraNone : self.messages.msgCameraDenied);
    });
  };

  Picker.prototype.closeCamera = function () {
    if (this.stream) this.stream.getTracks().forEach(function (track) { track.stop(); });
    this.stream = null;
    this.video.srcObject = null;
    this.camera.hidden = true;
    this.editor.hidden = !this.framing;
  };

  /* The snapshot becomes the file input's file, so the ordinary form post carries it. */
  Picker.prototype.snap = function () {
    var self = this;
    var video = this.video;
    if (!video.videoWidth) return;
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var file = new File([blob], "camera.jpg", { type: "image/jpeg", lastModified: Date.now() });
      var transfer = new DataTransfer();
      transfer.items.add(file);
      self.input.files = transfer.files;
      self.closeCamera();
      self.load(file).then(function (shown) { if (shown) self.frame.focus(); });
    }, "image/jpeg", 0.92);
  };

  function start() {
    document.querySelectorAll("[data-photo-picker]").forEach(function (root) {
      new Picker(root); // eslint-disable-line no-new
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
