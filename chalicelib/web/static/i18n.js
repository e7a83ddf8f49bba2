// The service's words in the page's language: t("English text", {name: "Ada"}).
//
// A page gets its messages one of two ways (docs/languages.md):
// - embedded by the server: <script type="application/json" id="messages">, read here
//   on import (the join page);
// - fetched: await loadMessages(lang) reads GET /i18n/<lang> (the counter, the console).
// The key is the English text, as in the gettext catalogues; a text not translated
// yet comes back in English, with its {placeholders} filled.
let messages = {};
let language = document.documentElement.lang || "en";

const embedded = document.getElementById("messages");
if (embedded) {
  try { messages = JSON.parse(embedded.textContent).messages || {}; } catch { messages = {}; }
}

export function t(text, params = {}) {
  const said = messages[text] || text;
  return said.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

export function lang() {
  return language;
}

// The browser's languages, most wanted first (navigator.languages), for a page that picks itself.
export function browserLanguages() {
  return navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
}

export async function loadMessages(wanted) {
  const response = await fetch(`/i18n/${encodeURIComponent(wanted)}`);
  if (!response.ok) return language;
  const data = await response.json();
  messages = data.messages || {};
  language = data.language;
  document.documentElement.lang = language;
  return language;
}
