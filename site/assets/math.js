// Typesets the \(...\) and \[...\] that kramdown writes for $$...$$, with KaTeX
// (katex.min.js is loaded before this script; KaTeX's auto-render would do the same).
document.addEventListener("DOMContentLoaded", () => {
  const math = /\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (!node.parentElement.closest("code, pre, script") && node.nodeValue.includes("\\")) nodes.push(node);
  }
  for (const node of nodes) {
    const text = node.nodeValue;
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const m of text.matchAll(math)) {
      const display = m[2] !== undefined;
      const box = document.createElement(display ? "div" : "span");
      katex.render(display ? m[2] : m[1], box, {displayMode: display, throwOnError: false});
      frag.append(text.slice(pos, m.index), box);
      pos = m.index + m[0].length;
    }
    if (pos === 0) continue;
    frag.append(text.slice(pos));
    node.replaceWith(frag);
  }
});
