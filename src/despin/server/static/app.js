// despin page: calls the JSON API of the same server and renders the result with DOM nodes only.
// User text is only ever set with textContent / text nodes, never parsed as HTML.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const state = { index: false, last: null, busy: false, tipOwner: null, uid: 0 };

  // ---------- text offsets: the server counts code points, JavaScript strings count UTF-16 units ----------
  function unitOffsets(text) {
    // offsets[i] = UTF-16 index of code point i; offsets[n] = text.length
    const offsets = [];
    let unit = 0;
    for (const ch of text) {
      offsets.push(unit);
      unit += ch.length;
    }
    offsets.push(unit);
    return offsets;
  }

  function percent(x) {
    return Math.round(x * 100) + "%";
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A description element referenced by aria-describedby, so screen readers read what the tooltip shows.
  function describe(text) {
    const id = "d" + ++state.uid;
    $("descriptions").appendChild(el("span", { id }, text));
    return id;
  }

  // Render `text` into `container`, wrapping each mark {start, end} (code point offsets) in <mark>.
  // Marks must be sorted and non-overlapping; overlapping ones are skipped rather than garbling the text.
  function renderMarked(container, text, marks, offsets) {
    container.replaceChildren();
    const off = offsets || unitOffsets(text);
    const n = off.length - 1;
    let pos = 0;
    const frag = document.createDocumentFragment();
    const nodes = [];
    for (const m of marks) {
      const start = Math.max(0, Math.min(m.start, n));
      const end = Math.max(start, Math.min(m.end, n));
      if (start < pos) {
        nodes.push(null);
        continue;
      }
      if (start > pos) frag.appendChild(document.createTextNode(text.slice(off[pos], off[start])));
      const node = el("mark", { class: m.cls, tabindex: "0" }, text.slice(off[start], off[end]));
      if (m.tip) {
        node.dataset.tip = m.tip;
        node.setAttribute("aria-describedby", describe(m.tip));
      }
      if (m.key) node.dataset.key = m.key;
      frag.appendChild(node);
      nodes.push(node);
      pos = end;
    }
    if (pos < n) frag.appendChild(document.createTextNode(text.slice(off[pos])));
    container.appendChild(frag);
    return nodes;
  }

  // Render a list of pieces {text, mark?} (already in order) into container.
  function renderPieces(container, pieces) {
    container.replaceChildren();
    const frag = document.createDocumentFragment();
    for (const p of pieces) {
      if (!p.mark) {
        frag.appendChild(document.createTextNode(p.text));
        continue;
      }
      const node = el("mark", { class: p.mark.cls, tabindex: "0" }, p.text);
      node.dataset.tip = p.mark.tip;
      node.dataset.key = p.mark.key;
      node.setAttribute("aria-describedby", describe(p.mark.tip));
      frag.appendChild(node);
    }
    container.appendChild(frag);
  }

  // ---------- tooltip (hover, focus, tap) and linking of partner marks ----------
  function showTip(mark) {
    const tip = $("tip");
    tip.replaceChildren();
    const parts = mark.dataset.tip.split(" \u2192 ");
    if (parts.length === 2) {
      const [left, right] = parts;
      const confAt = right.lastIndexOf(" (");
      tip.appendChild(document.createTextNode(left));
      tip.appendChild(el("span", { class: "arrow", "aria-hidden": "true" }, "\u2192"));
      tip.appendChild(document.createTextNode(confAt > 0 ? right.slice(0, confAt) : right));
      if (confAt > 0) tip.appendChild(el("span", { class: "conf" }, right.slice(confAt)));
    } else {
      tip.textContent = mark.dataset.tip;
    }
    tip.hidden = false;
    const r = mark.getBoundingClientRect();
    const w = tip.offsetWidth;
    const left = Math.max(8, Math.min(window.scrollX + r.left, window.scrollX + document.documentElement.clientWidth - w - 8));
    tip.style.left = left + "px";
    tip.style.top = window.scrollY + r.bottom + 6 + "px";
    state.tipOwner = mark;
    link(mark, true);
  }

  function hideTip() {
    if (state.tipOwner) link(state.tipOwner, false);
    state.tipOwner = null;
    $("tip").hidden = true;
  }

  function partners(mark) {
    const key = mark.dataset.key;
    if (!key) return [];
    return Array.from(document.querySelectorAll("mark[data-key]")).filter((m) => m.dataset.key === key && m !== mark);
  }

  function link(mark, on) {
    mark.classList.toggle("linked", on);
    for (const p of partners(mark)) p.classList.toggle("linked", on);
  }

  function wireTips(root) {
    root.addEventListener("mouseover", (e) => {
      const m = e.target.closest("mark[data-tip]");
      if (m && m !== state.tipOwner) showTip(m);
    });
    root.addEventListener("mouseout", (e) => {
      const m = e.target.closest("mark[data-tip]");
      if (m && m === state.tipOwner && document.activeElement !== m) hideTip();
    });
    root.addEventListener("focusin", (e) => {
      const m = e.target.closest("mark[data-tip]");
      if (m) showTip(m);
    });
    root.addEventListener("focusout", (e) => {
      if (e.target === state.tipOwner) hideTip();
    });
    root.addEventListener("click", (e) => {
      const m = e.target.closest("mark[data-tip]");
      if (m) {
        m.focus();
        showTip(m);
      }
    });
    root.addEventListener("keydown", (e) => {
      const m = e.target.closest("mark[data-tip]");
      if (!m) return;
      if (e.key === "Escape") hideTip();
      if (e.key === "Enter" || e.key === " ") {
        // Jump to the partner (restored word, or the aligned source word).
        const p = partners(m)[0];
        if (p) {
          e.preventDefault();
          p.scrollIntoView({ block: "nearest" });
          p.focus();
        }
      }
    });
  }

  // ---------- rendering of results ----------
  // "0.81 < 0.94": the score against the threshold, with enough decimals that the two never look equal.
  function versus(score, threshold) {
    let digits = 2;
    while (digits < 4 && score.toFixed(digits) === threshold.toFixed(digits)) digits += 1;
    return score.toFixed(digits) + (score >= threshold ? " \u2265 " : " < ") + threshold.toFixed(digits);
  }

  function wordEdits(restoration) {
    return restoration.edits.filter((e) => e.kind !== "footer");
  }

  // The verdict in plain words, and why the text did or did not change. Returns a one-line summary.
  function renderVerdict(restoration, forced) {
    const score = restoration.spun_score;
    const threshold = typeof restoration.threshold === "number" ? restoration.threshold : null;
    const spun = restoration.is_spun;
    const box = $("verdict");
    box.className = "verdict " + (spun ? "spun" : "clean");
    const compared = threshold === null ? "spun score " + score.toFixed(2) : versus(score, threshold);
    const label = (spun ? "Judged spun: " : "Not judged spun: ") + compared;
    $("verdict-label").textContent = label;
    $("meter-fill").style.width = Math.round(score * 100) + "%";
    $("meter-mark").hidden = threshold === null;
    if (threshold !== null) $("meter-mark").style.left = threshold * 100 + "%";
    const n = wordEdits(restoration).length;
    const footer = restoration.footer
      ? "The spinner footer (" + restoration.footer.outlet + ") was removed."
      : restoration.edits.some((e) => e.kind === "footer") ? "The spinner footer was removed." : "";
    const restored = n === 1 ? "1 suspected substitution restored." : n + " suspected substitutions restored.";
    let detail;
    if (!spun && !forced) {
      detail = "The spun score is below the threshold, so despin left the words as they are. " +
        (footer ? footer + " " : "") +
        "To see what it would change anyway, tick \u201cRestore even if the text is not judged spun\u201d.";
    } else if (n === 0) {
      detail = (spun ? "The text looks spun, but " : "Restored on request, but ") +
        "despin found no word it could restore with confidence, so the words are unchanged." +
        (footer ? " " + footer : "");
    } else if (!spun) {
      detail = "Restored on request although the text is not judged spun: treat these " + n +
        (n === 1 ? " change" : " changes") + " as suggestions, not findings." + (footer ? " " + footer : "");
    } else {
      detail = restored + (footer ? " " + footer : "");
    }
    $("verdict-detail").textContent = detail;
    return label + ". " + detail;
  }

  // What the highlights mean, said where they are shown; nothing is said (or shown) when there are none.
  function renderLegend(restoration) {
    const legend = $("legend");
    legend.replaceChildren();
    if (!restoration.edits.length) {
      legend.hidden = true;
      return;
    }
    legend.hidden = false;
    const how = " Hover, focus (Tab) or tap one to see the word the text had, its restoration and a confidence: " +
      "the calibrated chance that the restored word is the original.";
    const what = restoration.is_spun
      ? "Highlighted words are suspected substitutions."
      : "The text is not judged spun: highlighted words are what despin would change if it were, not findings.";
    legend.textContent = what + how;
  }

  const KIND_NOTE = { repeat: "repeated word", footer: "spinner footer" };

  function editTip(e) {
    const observed = e.observed.trim() || e.observed;
    const restored = e.restored.trim() ? e.restored.trim() : "(removed: " + (KIND_NOTE[e.kind] || e.kind) + ")";
    return observed + " \u2192 " + restored + " (confidence " + percent(e.confidence) + ")";
  }

  function editClass(e) {
    return e.kind === "footer" ? "footer" : "edit";
  }

  // Pieces of the restored text: the input with every edit applied and the footer dropped.
  // If that does not reproduce the server's text exactly, fall back to marking the restored words in order.
  function restoredPieces(input, restoration) {
    const off = unitOffsets(input);
    const events = restoration.edits.map((e, i) => ({ start: e.start, end: e.end, text: e.restored, i }));
    if (restoration.footer) events.push({ start: restoration.footer.start, end: restoration.footer.end, text: null });
    events.sort((a, b) => a.start - b.start);
    const pieces = [];
    let pos = 0;
    for (const ev of events) {
      if (ev.start < pos) continue;
      pieces.push({ text: input.slice(off[pos], off[ev.start]) });
      if (ev.text !== null) pieces.push({ text: ev.text, i: ev.i });
      pos = ev.end;
    }
    pieces.push({ text: input.slice(off[Math.min(pos, off.length - 1)]) });
    const joined = pieces.map((p) => p.text).join("");
    if (joined === restoration.text) return pieces;
    if (joined.trim() === restoration.text.trim()) {
      // Same text up to surrounding whitespace (e.g. what a removed footer leaves behind).
      const lead = joined.length - joined.trimStart().length;
      const want = restoration.text;
      const lead2 = want.length - want.trimStart().length;
      if (lead === lead2) return trimPieces(pieces, want.length);
    }
    // Fallback: locate each restored word in order.
    const out = [];
    const text = restoration.text;
    let cursor = 0;
    restoration.edits.forEach((e, i) => {
      const at = text.indexOf(e.restored, cursor);
      if (at < 0 || !e.restored) return;
      out.push({ text: text.slice(cursor, at) });
      out.push({ text: e.restored, i });
      cursor = at + e.restored.length;
    });
    out.push({ text: text.slice(cursor) });
    return out;
  }

  function trimPieces(pieces, length) {
    const out = [];
    let total = 0;
    for (const p of pieces) {
      if (total >= length) break;
      const take = p.text.slice(0, length - total);
      out.push({ ...p, text: take });
      total += take.length;
    }
    return out;
  }

  function renderRestoration(input, restoration) {
    $("descriptions").replaceChildren();
    const off = unitOffsets(input);
    const marks = restoration.edits.map((e, i) => ({
      start: e.start, end: e.end, cls: editClass(e), tip: editTip(e), key: "e" + i,
    }));
    const footerCovered = restoration.edits.some((e) => e.kind === "footer");
    if (restoration.footer && !footerCovered) {
      marks.push({ start: restoration.footer.start, end: restoration.footer.end, cls: "footer",
        tip: "spinner footer, removed from the restored text" });
    }
    marks.sort((a, b) => a.start - b.start);
    renderMarked($("input-view"), input, marks, off);
    const pieces = restoredPieces(input, restoration).map((p) => {
      if (p.i === undefined || !p.text.trim()) return { text: p.text };
      const e = restoration.edits[p.i];
      return { text: p.text, mark: { cls: "restored", tip: editTip(e), key: "e" + p.i } };
    });
    renderPieces($("restored-view"), pieces);
    const n = restoration.edits.filter((e) => e.kind !== "footer").length;
    // An unchanged text needs no second copy: one pane, and the note says so.
    $("restored-pane").hidden = !restoration.changed;
    $("text-panes").classList.toggle("single", !restoration.changed);
    $("n-edits").textContent = restoration.changed
      ? "(" + n + (n === 1 ? " substitution)" : " substitutions)")
      : "(unchanged: nothing to restore)";
  }

  function renderTrace(input, trace) {
    const section = $("trace");
    section.hidden = false;
    const body = $("matches").querySelector("tbody");
    body.replaceChildren();
    const matches = trace.matches || [];
    $("trace-empty").textContent = "No source in the index explains this text.";
    $("trace-empty").hidden = matches.length > 0;
    $("matches").hidden = matches.length === 0;
    $("align").hidden = matches.length === 0;
    matches.forEach((m, i) => {
      const row = el("tr");
      row.appendChild(el("td", { class: "num" }, String(i + 1)));
      row.appendChild(el("td", { class: "source-id" }, m.source_id));
      row.appendChild(el("td", { class: "num" }, percent(m.score)));
      row.appendChild(el("td", { class: "num" }, percent(m.coverage)));
      const cell = el("td");
      const btn = el("button", { type: "button", "aria-label": "Show the alignment with " + m.source_id }, "Show");
      btn.addEventListener("click", () => selectMatch(input, matches, i));
      cell.appendChild(btn);
      row.appendChild(cell);
      body.appendChild(row);
    });
    if (matches.length) selectMatch(input, matches, 0);
  }

  function showTraceError(message) {
    // Without an index there is no source to show: the whole section (and its panes) stays hidden.
    $("trace").hidden = !message;
    if (!message) return;
    $("trace-empty").textContent = "Tracing failed: " + message;
    $("trace-empty").hidden = false;
    $("matches").hidden = true;
    $("align").hidden = true;
  }

  function selectMatch(input, matches, i) {
    const m = matches[i];
    Array.from($("matches").querySelectorAll("tbody tr")).forEach((tr, j) => {
      tr.classList.toggle("selected", j === i);
      const b = tr.querySelector("button");
      if (b) b.setAttribute("aria-pressed", j === i ? "true" : "false");
    });
    $("source-id").textContent = m.source_id + " (score " + percent(m.score) + ", coverage " + percent(m.coverage) + ")";
    const subs = (m.substitutions || []).slice().sort((a, b) => a.spun_start - b.spun_start);
    const tip = (s) => s.spun + " \u2192 " + s.source + " (in the source)";
    const spunMarks = subs.map((s, k) => ({ start: s.spun_start, end: s.spun_end, cls: "sub", tip: tip(s), key: "s" + i + "-" + k }));
    renderMarked($("spun-view"), input, spunMarks);
    const n = subs.length;
    $("n-subs").textContent = "(" + n + (n === 1 ? " substitution)" : " substitutions)");
    if (typeof m.source_text === "string") {
      const bySource = subs.map((s, k) => ({ start: s.source_start, end: s.source_end, cls: "src", tip: tip(s), key: "s" + i + "-" + k }))
        .sort((a, b) => a.start - b.start);
      renderMarked($("source-view"), m.source_text, bySource);
    } else {
      $("source-view").replaceChildren(el("p", { class: "hint" }, "This index does not store source texts."));
    }
  }

  // ---------- network ----------
  async function postJSON(path, payload) {
    let resp;
    try {
      resp = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
      });
    } catch (err) {
      throw new Error("cannot reach the server (" + err.message + ")");
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (err) {
      data = null;
    }
    if (!resp.ok) {
      const msg = data && data.message ? data.message : "HTTP " + resp.status;
      const rid = resp.headers.get("X-Request-ID");
      throw new Error(msg + (rid ? " [request " + rid + "]" : ""));
    }
    return data;
  }

  function setStatus(text, isError) {
    const s = $("status");
    s.textContent = text;
    s.classList.toggle("error", !!isError);
  }

  async function check() {
    if (state.busy) return;
    const text = $("text").value;
    if (!text.trim()) {
      setStatus("Paste some text first.", true);
      $("text").focus();
      return;
    }
    state.busy = true;
    const button = $("check");
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    hideTip();
    setStatus("Checking\u2026");
    try {
      const tracing = state.index ? postJSON("/v1/trace", { text, top: 5, with_text: true }) : null;
      // A failed trace must not hide the restoration: settle it separately.
      const traceOutcome = tracing ? tracing.then((v) => ({ v }), (e) => ({ e })) : Promise.resolve(null);
      const forced = $("force").checked;
      const restoration = await postJSON("/v1/restore", forced ? { text, force: true } : { text });
      const outcome = await traceOutcome;
      const trace = outcome && outcome.v ? outcome.v : null;
      state.last = trace ? { restore: restoration, trace } : { restore: restoration };
      const summary = renderVerdict(restoration, forced);
      renderLegend(restoration);
      renderRestoration(text, restoration);
      if (trace) renderTrace(text, trace);
      else showTraceError(outcome && outcome.e ? outcome.e.message : null);
      $("results").hidden = false;
      let traced = "";
      if (trace) traced = trace.matches.length ? " Best source: " + trace.matches[0].source_id + "." : " No source found.";
      else if (outcome && outcome.e) traced = " Tracing failed: " + outcome.e.message;
      setStatus("Done. " + summary + traced);
    } catch (err) {
      setStatus("Error: " + err.message, true);
    } finally {
      state.busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }

  function jsonText() {
    return JSON.stringify(state.last, null, 2);
  }

  async function copyJSON() {
    if (!state.last) return;
    const text = jsonText();
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {
      const area = el("textarea", { "aria-hidden": "true" });
      area.value = text;
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setStatus("JSON copied to the clipboard.");
  }

  function downloadJSON() {
    if (!state.last) return;
    const blob = new Blob([jsonText() + "\n"], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: "despin-result.json" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    setStatus("JSON downloaded as despin-result.json.");
  }

  async function loadHealth() {
    try {
      const resp = await fetch("/v1/health", { headers: { Accept: "application/json" } });
      const h = await resp.json();
      state.index = !!h.index;
      $("tagline-trace").hidden = !state.index;
      $("model-version").textContent = h.model ? "model " + h.model.version : "";
      const problems = [];
      if (!h.model) problems.push("The model is not loaded: " + (h.model_error || "unknown reason") + ".");
      if (h.index_error) problems.push("The trace index is not loaded: " + h.index_error + ".");
      if (problems.length) {
        $("banner").textContent = problems.join(" ");
        $("banner").hidden = false;
      }
    } catch (err) {
      $("banner").textContent = "Cannot reach the server: " + err.message;
      $("banner").hidden = false;
    }
  }

  function updateCount() {
    const n = $("text").value.length;
    $("count").textContent = n ? n.toLocaleString("en") + " characters" : "";
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("form").addEventListener("submit", (e) => {
      e.preventDefault();
      check();
    });
    $("text").addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        check();
      }
    });
    $("text").addEventListener("input", updateCount);
    $("copy-json").addEventListener("click", copyJSON);
    $("download-json").addEventListener("click", downloadJSON);
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") hideTip();
    });
    window.addEventListener("resize", hideTip);
    wireTips($("results"));
    updateCount();
    loadHealth();
  });
})();
