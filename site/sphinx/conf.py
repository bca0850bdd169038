# Sphinx + myst-parser site for derivgen's pages (docs/sites.md):
#   derivgen build problems/ -o site/sphinx/content --format md --flavour myst
#   sphinx-build -W -c site/sphinx site/sphinx/content site/sphinx/_build
project = "Vector calculus, worked examples"
extensions = ["myst_parser"]
myst_enable_extensions = ["dollarmath", "amsmath"]  # $x$, $$...$$ and aligned
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "json", "**/tex"]
html_theme = "alabaster"
# KaTeX instead of MathJax from a CDN: the pages work offline (site/build.sh copies it to _static).
html_static_path = ["_static"]
mathjax_path = "katex/katex.min.js"
html_css_files = ["katex/katex.min.css"]
html_js_files = [("math.js", {"defer": "defer"})]
