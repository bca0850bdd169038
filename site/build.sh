#!/usr/bin/env bash
# The example course site: the problem bank built with derivgen and each site generator.
#   site/build.sh mkdocs|sphinx|hugo|jekyll [PROBLEMS]     (PROBLEMS defaults to problems/)
# Each writes derivgen's pages into the generator's content folder, copies KaTeX (shipped
# inside derivgen) and site/assets/math.js beside them, and builds the site:
#   mkdocs  site/mkdocs/_site    sphinx  site/sphinx/_build    hugo  site/hugo/public    jekyll  site/jekyll/_site
# DERIVGEN, MKDOCS, SPHINX_BUILD, HUGO and JEKYLL name the commands (default: from PATH).
set -euo pipefail
site="$(cd "$(dirname "$0")" && pwd)"
generator="${1:?usage: site/build.sh mkdocs|sphinx|hugo|jekyll [PROBLEMS]}"
problems="${2:-$site/../problems}"
derivgen="${DERIVGEN:-derivgen}"
katex="$("${PYTHON:-python3}" -c 'import derivgen.render, pathlib; print(pathlib.Path(derivgen.render.__file__).parent / "katex")')"

assets() {  # KaTeX and the script that typesets \( \) and \[ \], into $1
  mkdir -p "$1"
  rm -rf "$1/katex" && cp -r "$katex" "$1/katex"
  cp "$site/assets/math.js" "$1/math.js"
}

case "$generator" in
  mkdocs)
    "$derivgen" build "$problems" -o "$site/mkdocs/docs" --format md -q
    assets "$site/mkdocs/docs/assets"
    "${MKDOCS:-mkdocs}" build --strict -q -f "$site/mkdocs/mkdocs.yml" --site-dir "$site/mkdocs/_site" ;;
  sphinx)
    "$derivgen" build "$problems" -o "$site/sphinx/content" --format md --flavour myst -q
    assets "$site/sphinx/_static"
    "${SPHINX_BUILD:-sphinx-build}" -W -q -b html -c "$site/sphinx" "$site/sphinx/content" "$site/sphinx/_build" ;;
  hugo)
    "$derivgen" build "$problems" -o "$site/hugo/content" --format md --flavour hugo -q
    assets "$site/hugo/static"
    "${HUGO:-hugo}" --quiet --source "$site/hugo" ${HUGO_BASEURL:+--baseURL "$HUGO_BASEURL"} ;;
  jekyll)
    "$derivgen" build "$problems" -o "$site/jekyll" --format md --flavour jekyll -q
    assets "$site/jekyll/assets"
    "${JEKYLL:-jekyll}" build --quiet --source "$site/jekyll" --destination "$site/jekyll/_site" ;;
  *) echo "site/build.sh: unknown generator '$generator' (mkdocs, sphinx, hugo or jekyll)" >&2; exit 2 ;;
esac
