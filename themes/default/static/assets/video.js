/* sitegen video facade: loads the player only when the reader asks for it. */
(function () {
  "use strict";
  function player(figure, start) {
    var src = figure.getAttribute("data-embed");
    if (start) {
      src += figure.getAttribute("data-provider") === "vimeo" ? "#t=" + start + "s" : "&start=" + start;
    }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = figure.getAttribute("data-title") || "";
    frame.allow = "autoplay; encrypted-media; picture-in-picture; fullscreen";
    frame.setAttribute("allowfullscreen", "");
    frame.className = "video-player";
    var old = figure.querySelector(".video-facade-link, .video-player");
    figure.replaceChild(frame, old);
    frame.focus();
  }
  function seek(figure, start) {
    var media = figure.querySelector("video, audio");
    if (media) {
      media.currentTime = start;
      media.play();
    } else {
      player(figure, start);
    }
    figure.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("a") : null;
    if (!target || event.ctrlKey || event.metaKey || event.shiftKey || event.button) { return; }
    var figure;
    if (target.classList.contains("video-facade-link")) {
      event.preventDefault();
      player(target.closest(".video-facade"), 0);
    } else if (target.classList.contains("timestamp") && (figure = document.querySelector("[data-video]"))) {
      event.preventDefault();
      seek(figure.closest("figure") || figure, parseInt(target.getAttribute("data-start"), 10) || 0);
    }
  });
})();
