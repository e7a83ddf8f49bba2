// The owner console: programs (JSON editor with a pass preview); the statistics,
// members and staff parts are modules of their own, set up here with the session.
import { api, errorText, el } from "/static/api.js";
import * as members from "/static/admin-members.js";
import * as staff from "/static/admin-staff.js";
import * as stats from "/static/admin-stats.js";

const SESSION = "loyalty.console.session";
const $ = (id) => document.getElementById(id);
const READ_ONLY = ["program_id", "version", "created_at", "updated_at"];
const TEMPLATE = {
  name: "Coffee card", kind: "stamps", stamps: { required: 8, reward: { name: "Free coffee" } },
  design: { background_color: "#7C2D12", foreground_color: "#FFFFFF", logo_text: "My café" },
};

let session = null;
try { session = JSON.parse(sessionStorage.getItem(SESSION)); } catch { session = null; }
let editing = null; // the program being edited, or {} for a new one

const call = (path, options = {}) => api(path, { ...options, token: session?.token }).catch(() => ({
  ok: false, status: 0, data: { error: { message: "No connection: try again when the network is back." } } }));

function showScreen() {
  const inside = session && Date.parse(session.expires_at) > Date.now();
  $("login").classList.toggle("hidden", inside);
  $("console").classList.toggle("hidden", !inside);
  if (!inside) return;
  $("who").textContent = `${session.staff.email} (${session.staff.role})`;
  loadPrograms();
  staff.load();
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const result = await call("/v1/auth/login", { method: "POST", body: { email: $("login-email").value.trim(), password: $("login-password").value } });
  if (!result.ok) { $("login-error").textContent = errorText(result); return; }
  if (result.data.staff.role === "barista") { $("login-error").textContent = "The console is for managers and owners; baristas use /staff."; return; }
  session = { token: result.data.token, expires_at: result.data.expires_at, staff: result.data.staff };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  showScreen();
});
$("logout").addEventListener("click", () => { sessionStorage.removeItem(SESSION); session = null; showScreen(); });

// ---- programs ----------------------------------------------------------------
async function loadPrograms() {
  const result = await call("/v1/programs?limit=100");
  if (!result.ok) { $("programs").replaceChildren(el("li", { class: "error" }, errorText(result))); return; }
  $("programs").replaceChildren(...result.data.items.map((p) => el("li", {},
    el("strong", {}, p.name), el("span", { class: "note" }, p.kind),
    el("a", { href: `/join/${p.program_id}` }, "Join page"),
    el("a", { href: `/join/${p.program_id}/poster.png` }, "Poster"),
    el("button", { type: "button", class: "secondary", "aria-label": `Edit ${p.name}`, onclick: () => openProgram(p) }, "Edit"),
    el("button", { type: "button", class: "secondary", "aria-label": `Stats of ${p.name}`, onclick: () => stats.show(p) }, "Stats"),
    el("button", { type: "button", class: "secondary", "aria-label": `Members CSV of ${p.name}`, onclick: () => members.exportMembers(p) }, "Members CSV"))));
}

function openProgram(program) {
  editing = program;
  const doc = Object.fromEntries(Object.entries(program ?? TEMPLATE).filter(([k]) => !READ_ONLY.includes(k)));
  $("program-json").value = JSON.stringify(doc, null, 2);
  $("editor-title").textContent = program ? `Edit ${program.name}` : "New program";
  $("program-error").textContent = "";
  $("program-links").textContent = "";
  $("editor").classList.remove("hidden");
  preview();
  $("program-json").focus();
}

function preview() {
  let doc;
  try { doc = JSON.parse($("program-json").value); } catch { return; }
  const design = doc.design ?? {};
  const pass = $("preview");
  pass.style.setProperty("--pass-bg", design.background_color ?? "#1F2937");
  pass.style.setProperty("--pass-fg", design.foreground_color ?? "#FFFFFF");
  pass.style.setProperty("--pass-label", design.label_color ?? "inherit");
  const body = [el("div", { class: "logo" }, design.logo_text ?? doc.name ?? ""), el("div", { class: "pname" }, doc.name ?? "")];
  if (doc.kind === "stamps" && doc.stamps) {
    const required = Math.min(50, Number(doc.stamps.required) || 0);
    body.push(el("div", { class: "big" }, `3 / ${required}`),
      el("div", { class: "dots" }, Array.from({ length: required }, (_, i) => el("span", { class: i < 3 ? "dot on" : "dot" }))),
      el("p", {}, `Reward: ${doc.stamps.reward?.name ?? ""}`));
  } else {
    body.push(el("div", { class: "big" }, "120 points"));
  }
  pass.setAttribute("aria-label", `Pass preview: ${doc.name ?? ""}`);
  pass.replaceChildren(...body);
}
$("program-json").addEventListener("input", preview);
$("new-program").addEventListener("click", () => openProgram(null));
$("close-program").addEventListener("click", () => { $("editor").classList.add("hidden"); editing = null; });

$("save-program").addEventListener("click", async () => {
  let doc;
  try { doc = JSON.parse($("program-json").value); } catch (error) {
    $("program-error").textContent = `That is not valid JSON: ${error.message}`;
    return;
  }
  const result = editing
    ? await call(`/v1/programs/${encodeURIComponent(editing.program_id)}`, { method: "PATCH", body: doc })
    : await call("/v1/programs", { method: "POST", body: doc });
  if (!result.ok) { $("program-error").textContent = errorText(result); return; }
  $("program-error").textContent = "";
  const saved = result.data.program ?? result.data;
  editing = saved;
  $("editor-title").textContent = `Edit ${saved.name}`;
  $("program-links").replaceChildren("Saved. ", el("a", { href: `/join/${saved.program_id}`, id: "saved-join" }, "Open its join page"));
  loadPrograms();
});

const parts = { call, me: () => session?.staff };
for (const part of [members, staff, stats]) part.setup(parts);
showScreen();
