// A phone photo is several MB; over a slow satellite uplink it would take minutes to send. Before
// a form with `input[type=file][data-shrink]` is sent, the photo is redrawn in the browser at most
// `data-shrink` pixels on its longest side (upright, on white) as a JPEG, which is more than the
// server keeps. Without JavaScript, when the browser cannot decode the file, or when shrinking
// would make the short side smaller than `data-min-side`, the original file is sent as it is; the
// server checks whatever arrives the same way.
(function () {
  "use strict";

  function shrink(file, longest, minSide) {
    if (!window.createImageBitmap || !window.DataTransfer || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      return Promise.resolve(null);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
      var width = Math.round(bitmap.width * scale);
      var height = Math.round(bitmap.height * scale);
      if (scale === 1 || Math.min(width, height) < minSide) {
        bitmap.close();
        return null;
      }
      var canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, width, height);
      context.drawImage(bitmap, 0, 0, width, height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size ? new File([blob], "foto.jpg", { type: "image/jpeg" }) : null);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () {
      return null;
    });
  }

  document.querySelectorAll("input[type=file][data-shrink]").forEach(function (input) {
    var form = input.form;
    var sending = false;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (sending || !file) {
        return;
      }
      event.preventDefault();
      sending = true;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
      }
      var longest = parseInt(input.dataset.shrink, 10);
      var minSide = parseInt(input.dataset.minSide || "0", 10);
      shrink(file, longest, minSide).then(function (smaller) {
        if (smaller) {
          var files = new DataTransfer();
          files.items.add(smaller);
          input.files = files.files;
        }
        form.submit();
      });
    });
  });
})();
