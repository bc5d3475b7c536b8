// Injected into a copy of a deck by tests/test_slides.py: walks every slide at the window's size
// with all fragments shown and writes what it finds into <pre id="slide-check"> as JSON, which
// headless Chromium's --dump-dom prints. Prose is the markdown's text blocks (speaker notes are
// not shown); code and outputs may scroll inside their own boxes, so they are not measured.
require(["vendor/reveal.js/dist/reveal.js"], function (Reveal) {
  var PROSE = ".jp-MarkdownCell p, .jp-MarkdownCell li, .jp-MarkdownCell h1, .jp-MarkdownCell h2, " +
    ".jp-MarkdownCell h3, .jp-MarkdownCell h4, .jp-MarkdownCell table, .jp-MarkdownCell blockquote";
  function walk() {
    var report = { slides: 0, overflow: [], broken: [], blank: [] };
    document.querySelectorAll(".reveal .fragment").forEach(function (el) { el.classList.add("visible"); });
    // Measured in the slide's own frame (reveal.js scales a width x height frame to the window),
    // so the verdict is the same in any window of the same shape.
    var config = Reveal.getConfig(), frame = document.querySelector(".reveal .slides");
    report.viewport = window.innerWidth + "x" + window.innerHeight;
    Reveal.getSlides().forEach(function (slide) {
      var at = Reveal.getIndices(slide);
      Reveal.slide(at.h, at.v);
      report.slides += 1;
      var where = (at.h + 1) + "." + ((at.v || 0) + 1) + " " + (slide.innerText || "").trim().split("\n")[0].slice(0, 60);
      slide.querySelectorAll(PROSE).forEach(function (el) {
        if (el.closest("aside.notes") || el.closest("details")) return;
        var box = el.getBoundingClientRect(), origin = frame.getBoundingClientRect();
        var scale = origin.width / config.width;
        var bottom = (box.bottom - origin.top) / scale, right = (box.right - origin.left) / scale;
        if (box.height > 0 && (bottom > config.height + 1 || right > config.width + 1)) {
          report.overflow.push(where + " | " + el.tagName.toLowerCase() + " ends at y " + Math.round(bottom) +
            " x " + Math.round(right) + " of " + config.width + "x" + config.height + ": " + el.innerText.slice(0, 50));
        }
      });
      slide.querySelectorAll("img").forEach(function (img) {
        if (!(img.complete && img.naturalWidth > 0)) report.broken.push(where + " | " + img.src.slice(0, 60));
      });
      var seen = (slide.innerText || "").trim().length > 0 || slide.querySelector("img, svg, canvas");
      if (!seen) report.blank.push(where);
    });
    var out = document.createElement("pre");
    out.id = "slide-check";
    out.textContent = JSON.stringify(report);
    document.body.appendChild(out);
  }
  function whenReady() { setTimeout(walk, 500); }
  if (Reveal.isReady()) whenReady(); else Reveal.on("ready", whenReady);
});
