/*
 * Boussole ESS — chat widget. Dependency-free; embed with one tag:
 *   <script src="https://…/widget.js" data-server="https://…/chat"
 *           data-title="Boussole ESS" data-color="#00546b" defer></script>
 * Everything the bot or the person writes is inserted as text, never as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var cfg = (script && script.dataset) || {};
  var origin = script ? new URL(script.src, location.href).origin : location.origin;
  var SERVER = cfg.server || origin + "/chat";
  var TITLE = cfg.title || "Boussole ESS";
  var COLOR = cfg.color || "#00546b";
  var MAX = 10000;
  var KEY = "boussole-widget";
  var state = load();

  function load() {
    try {
      var saved = JSON.parse(sessionStorage.getItem(KEY));
      if (saved && saved.sender) return saved;
    } catch (e) { /* private mode or corrupted: start again */ }
    return { sender: "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36),
             messages: [], open: false };
  }
  function save() {
    try { sessionStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* full */ }
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var css = [
    ".bw-launch{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;background:" + COLOR +
      ";color:#fff;border:0;border-radius:2rem;padding:.8rem 1.2rem;font:600 1rem system-ui,sans-serif;cursor:pointer}",
    ".bw-panel{position:fixed;right:.5rem;bottom:.5rem;z-index:2147483001;width:min(24rem,calc(100vw - 1rem));" +
      "height:min(36rem,calc(100vh - 1rem));display:flex;flex-direction:column;background:#fff;color:#1b1b1b;" +
      "border:1px solid #767676;border-radius:.5rem;box-shadow:0 4px 24px rgba(0,0,0,.25);font:1rem/1.4 system-ui,sans-serif}",
    ".bw-panel[hidden]{display:none}",
    ".bw-head{display:flex;align-items:center;gap:.5rem;background:" + COLOR + ";color:#fff;padding:.5rem .75rem;border-radius:.5rem .5rem 0 0}",
    ".bw-head h2{font-size:1rem;margin:0;flex:1}",
    ".bw-head button{background:transparent;color:#fff;border:1px solid #fff;border-radius:.25rem;padding:.25rem .5rem;font:inherit;cursor:pointer}",
    ".bw-log{flex:1;overflow-y:auto;padding:.75rem;display:flex;flex-direction:column;gap:.5rem}",
    ".bw-msg{max-width:85%;padding:.5rem .7rem;border-radius:.6rem;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".bw-bot{background:#eef3f5;align-self:flex-start}.bw-user{background:" + COLOR + ";color:#fff;align-self:flex-end}",
    ".bw-user a{color:#fff}",
    ".bw-buttons{display:flex;flex-wrap:wrap;gap:.4rem}",
    ".bw-buttons button,.bw-retry{background:#fff;color:" + COLOR + ";border:2px solid " + COLOR + ";border-radius:1rem;padding:.3rem .7rem;font:inherit;cursor:pointer;text-align:left}",
    ".bw-card{border:2px solid " + COLOR + ";border-radius:.5rem;padding:.5rem .7rem;align-self:flex-start;max-width:90%}",
    ".bw-card h3{margin:0 0 .25rem;font-size:1rem}.bw-card p{margin:.25rem 0}",
    ".bw-typing{font-style:italic;color:#555;padding:0 .75rem}",
    ".bw-error{color:#a00000}",
    ".bw-form{display:flex;gap:.4rem;padding:.5rem;border-top:1px solid #ccc}",
    ".bw-form input{flex:1;min-width:0;font:inherit;padding:.45rem;border:1px solid #767676;border-radius:.25rem}",
    ".bw-form button{background:" + COLOR + ";color:#fff;border:0;border-radius:.25rem;padding:.45rem .8rem;font:inherit;cursor:pointer}",
    ".bw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    ".bw-launch:focus-visible,.bw-panel :focus-visible{outline:3px solid #ffbf47;outline-offset:2px}"
  ].join("\n");
  // A constructed style sheet works under a strict Content-Security-Policy (no
  // 'unsafe-inline'); a <style> element, with the script's nonce if any, elsewhere.
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
  } catch (e) {
    var style = el("style", {}, css);
    if (script && script.nonce) style.nonce = script.nonce;
    document.head.appendChild(style);
  }

  var launch = el("button", { type: "button", "class": "bw-launch", "aria-expanded": "false",
                              "aria-controls": "bw-panel" }, "Une question ? Discutons");
  var panel = el("section", { id: "bw-panel", "class": "bw-panel", role: "dialog",
                              "aria-label": TITLE, lang: "fr", hidden: "" });
  var head = el("div", { "class": "bw-head" });
  head.appendChild(el("h2", {}, TITLE));
  var restart = el("button", { type: "button" }, "Recommencer");
  var close = el("button", { type: "button", "aria-label": "Fermer la discussion" }, "✕");
  head.appendChild(restart);
  head.appendChild(close);
  var log = el("div", { "class": "bw-log", role: "log", "aria-live": "polite",
                        "aria-label": "Messages de la discussion" });
  var typing = el("p", { "class": "bw-typing", hidden: "" }, "Boussole écrit…");
  var form = el("form", { "class": "bw-form" });
  var label = el("label", { "for": "bw-input", "class": "bw-sr" }, "Votre message");
  var input = el("input", { id: "bw-input", type: "text", autocomplete: "off",
                            maxlength: String(MAX), placeholder: "Décrivez votre projet…" });
  var send = el("button", { type: "submit" }, "Envoyer");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(typing); panel.appendChild(form);
  document.body.appendChild(launch);
  document.body.appendChild(panel);

  function withLinks(node, text) {
    // Links become <a> elements built from text; nothing is parsed as HTML.
    var parts = String(text).split(/(https?:\/\/[^\s<>"]+)/g);
    parts.forEach(function (part, i) {
      if (i % 2 === 1) {
        var a = el("a", { href: part, target: "_blank", rel: "noopener noreferrer" }, part);
        node.appendChild(a);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
    return node;
  }

  function render(message) {
    if (message.from === "user") {
      log.appendChild(withLinks(el("p", { "class": "bw-msg bw-user" }), message.text));
    } else if (message.offer) {
      var card = el("article", { "class": "bw-card" });
      card.appendChild(el("h3", {}, message.offer.title));
      card.appendChild(el("p", {}, message.offer.why || ""));
      log.appendChild(card);
    } else if (message.error) {
      var p = el("p", { "class": "bw-msg bw-bot bw-error", role: "alert" }, message.text);
      var retry = el("button", { type: "button", "class": "bw-retry" }, "Réessayer");
      retry.addEventListener("click", function () { p.remove(); retry.remove(); post(message.retry, true); });
      log.appendChild(p);
      log.appendChild(retry);
    } else {
      if (message.text) log.appendChild(withLinks(el("p", { "class": "bw-msg bw-bot" }), message.text));
      if (message.buttons && message.buttons.length) {
        var group = el("div", { "class": "bw-buttons", role: "group", "aria-label": "Réponses proposées" });
        message.buttons.forEach(function (b) {
          var button = el("button", { type: "button" }, b.title);
          button.addEventListener("click", function () { say(b.title, b.payload); });
          group.appendChild(button);
        });
        log.appendChild(group);
      }
    }
    log.scrollTop = log.scrollHeight;
  }

  function add(message, persist) {
    if (persist !== false && !message.error) { state.messages.push(message); save(); }
    render(message);
  }

  function post(payload, isRetry) {
    typing.hidden = false;
    fetch(SERVER, { method: "POST", headers: { "Content-Type": "application/json" },
                    body: JSON.stringify({ sender: state.sender, message: payload }) })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
      .then(function (r) {
        typing.hidden = true;
        if (!r.ok) throw new Error((r.data && r.data.error) || "erreur");
        var out = [];
        (r.data || []).forEach(function (m) {
          if (m.custom && m.custom.offer) {
            // Rasa sends the offer's text (with its buttons) then the card: show the card
            // right after the text and before the buttons.
            var last = out[out.length - 1];
            var held = last && last.buttons && last.buttons.length ? last.buttons : null;
            if (held) last.buttons = [];
            out.push({ from: "bot", offer: m.custom.offer });
            if (held) out.push({ from: "bot", text: "", buttons: held });
          } else if (m.text || m.buttons) {
            out.push({ from: "bot", text: m.text || "", buttons: m.buttons || [] });
          }
        });
        out.forEach(function (m) { add(m); });
      })
      .catch(function (e) {
        typing.hidden = true;
        var text = e && e.message && e.message !== "Failed to fetch" && e.message !== "erreur"
          ? e.message : "Le service ne répond pas pour le moment.";
        add({ from: "bot", error: true, text: text, retry: payload }, false);
      });
  }

  function say(text, payload) {
    text = String(text || "").trim();
    if (!text) return;
    if (text.length > MAX) {
      add({ from: "bot", error: true, text: "Votre message est trop long (10 000 caractères au plus) : pouvez-vous le résumer ?", retry: "" }, false);
      return;
    }
    add({ from: "user", text: text });
    post(payload || text);
  }

  function open() {
    panel.hidden = false; launch.setAttribute("aria-expanded", "true");
    state.open = true; save();
    if (!state.messages.length) post("bonjour");
    input.focus();
  }
  function shut() {
    panel.hidden = true; launch.setAttribute("aria-expanded", "false");
    state.open = false; save();
    launch.focus();
  }

  launch.addEventListener("click", function () { panel.hidden ? open() : shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  restart.addEventListener("click", function () {
    post("/restart");
    state.messages = []; save();
    log.textContent = "";
    input.focus();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value;
    input.value = "";
    say(text);
  });

  state.messages.forEach(render);
  if (state.open) { panel.hidden = false; launch.setAttribute("aria-expanded", "true"); }
})();
