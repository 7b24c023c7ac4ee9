// Dân biết: the search page. Pagefind's index is built with the static site into <site>/pagefind/, in
// slices (pagefind/slices.json names them, each a Pagefind index of its own): the first is loaded,
// the others merged into it (mergeIndex), so a search finds the pages of all of them. They are
// loaded by URLs relative to the site's home, so the site works from any sub-folder.
// Pagefind folds tone marks ("ket luan" finds "kết luận") but not đ: each query word with d/D is
// also searched with đ/Đ in its place, and the results of all the spellings are merged.

const MAX_SPELLINGS = 32; // searches per query, all words' spellings combined
const MAX_SHOWN = 30;

const form = document.getElementById("tim-kiem");
const input = document.getElementById("tu-khoa");
const status = document.getElementById("trang-thai");
const list = document.getElementById("ket-qua");
// The home page's link, relative to this page ("../index.html"): its folder is the site's root.
const root = new URL(".", new URL(form.dataset.siteRoot, document.baseURI));

// A word's spellings: every d may stand for đ (D for Đ), the word as typed first.
function wordSpellings(word, cap = MAX_SPELLINGS) {
  let out = [""];
  for (const ch of word) {
    const alt = ch === "d" ? "đ" : ch === "D" ? "Đ" : null;
    const next = [];
    for (const prefix of out) {
      next.push(prefix + ch);
      if (alt && next.length < cap) next.push(prefix + alt);
    }
    out = next.slice(0, cap);
  }
  return out;
}

// The queries to run for `text`: the combinations of its words' spellings, the text as typed first.
function spellings(text, cap = MAX_SPELLINGS) {
  const words = text.trim().split(/\s+/).filter(Boolean);
  let out = [""];
  for (const word of words) {
    const next = [];
    for (const prefix of out) {
      for (const spelling of wordSpellings(word, cap)) {
        if (next.length < cap) next.push(prefix ? prefix + " " + spelling : spelling);
      }
    }
    out = next;
  }
  return words.length ? out : [];
}

const MAX_SLICES = 64; // as many as the build makes at most (sitebuild/search.py)
const OPTIONS = { baseUrl: root.pathname, excerptLength: 24 };

let pagefind = null;

async function loadPagefind() {
  if (!pagefind) {
    const listed = await fetch(new URL("pagefind/slices.json", root), { cache: "no-cache" });
    if (!listed.ok) throw new Error("no search index: " + listed.status);
    const slices = ((await listed.json()).slices || []).slice(0, MAX_SLICES);
    if (!slices.length) throw new Error("an empty search index");
    const folder = (name) => new URL("pagefind/" + name + "/", root);
    const module = await import(new URL("pagefind.js", folder(slices[0])).href);
    await module.options(OPTIONS);
    await module.init();
    await Promise.all(slices.slice(1).map((name) => module.mergeIndex(folder(name).pathname, OPTIONS)));
    pagefind = module;
  }
  return pagefind;
}

function show(message) {
  status.textContent = message;
}

// Pagefind's excerpt (the page's text as HTML, with <mark> around the hits) as DOM nodes: only the
// marks become elements; the rest is decoded in an inert document and added as plain text.
const decoder = document.implementation.createHTMLDocument("").createElement("textarea");

function excerptNodes(html) {
  const nodes = [];
  let marked = false;
  for (const part of String(html || "").split(/(<\/?mark>)/)) {
    if (part === "<mark>" || part === "</mark>") {
      marked = part === "<mark>";
      continue;
    }
    decoder.innerHTML = part; // a textarea's content is text: entities decoded, no element made
    const text = decoder.value;
    if (!text) continue;
    if (marked) {
      const mark = document.createElement("mark");
      mark.textContent = text;
      nodes.push(mark);
    } else {
      nodes.push(document.createTextNode(text));
    }
  }
  return nodes;
}

function render(query, items, total) {
  list.replaceChildren();
  if (!total) {
    show("Không tìm thấy kết quả cho “" + query + "”. Hãy thử từ khóa khác, hoặc xem các danh sách bên dưới.");
    return;
  }
  show("Tìm thấy " + total + " kết quả cho “" + query + "”" +
       (total > items.length ? ", hiển thị " + items.length + " kết quả đầu tiên." : "."));
  for (const item of items) {
    const li = document.createElement("li");
    li.className = "item";
    const h2 = document.createElement("h2");
    const a = document.createElement("a");
    a.href = item.url;
    a.textContent = (item.meta && item.meta.title) || item.url;
    h2.append(a);
    const p = document.createElement("p");
    p.className = "meta";
    p.append(...excerptNodes(item.excerpt));
    li.append(h2, p);
    list.append(li);
  }
}

let latest = 0;

async function run(query) {
  const ticket = ++latest;
  query = query.trim();
  if (!query) {
    list.replaceChildren();
    show("");
    return;
  }
  show("Đang tìm…");
  let engine;
  try {
    engine = await loadPagefind();
  } catch (error) {
    show("Chưa có chỉ mục tìm kiếm cho trang này; vui lòng xem các danh sách bên dưới.");
    return;
  }
  const searches = await Promise.all(spellings(query).map((term) => engine.search(term)));
  // The same page found by several spellings: once, with its best score.
  const best = new Map();
  for (const search of searches) {
    for (const result of (search && search.results) || []) {
      const seen = best.get(result.id);
      if (!seen || result.score > seen.score) best.set(result.id, result);
    }
  }
  const ranked = [...best.values()].sort((a, b) => b.score - a.score);
  const data = await Promise.all(ranked.slice(0, MAX_SHOWN).map((result) => result.data()));
  const byUrl = new Map();
  for (const item of data) if (!byUrl.has(item.url)) byUrl.set(item.url, item);
  const items = [...byUrl.values()];
  const total = ranked.length - (data.length - items.length);
  if (ticket === latest) render(query, items, total);
}

let timer = null;
input.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => run(input.value), 250);
});
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  const url = new URL(location.href);
  url.searchParams.set("q", input.value.trim());
  history.replaceState(null, "", url);
  run(input.value);
});

form.hidden = false;
document.getElementById("can-js").hidden = true;
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  run(initial);
}
