// Render the math that pymdownx.arithmatex (generic mode) leaves in the page: \( \) inline,
// \[ \] display. KaTeX and its auto-render extension are bundled under assets/katex/ by the
// docs build (docs/hooks/build_assets.py); no CDN. Material for MkDocs swaps pages without a
// reload ("instant" navigation), so render on each page change when document$ exists.
(function () {
  function render(root) {
    renderMathInElement(root, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: true,
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function () { render(document.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { render(document.body); });
  }
})();
