// The console's "Brand images": a program's logo, icon and strip, uploaded or generated.
// On its own beside admin.js: it reads the console's session and lists the programs itself.
import { api, errorText, el } from "/static/api.js";

const SESSION = "loyalty.console.session";
const MAX_BYTES = 5 * 1024 * 1024;
const TYPES = ["image/png", "image/jpeg", "image/webp"];
const KINDS = [
  { kind: "logo", name: "Logo", hint: "Top left of the pass, up to 160 × 50 points; Google shows it in a circle." },
  { kind: "icon", name: "Icon", hint: "Square: shown in notifications and Mail." },
  { kind: "strip", name: "Strip", hint: "The band behind the balance, 375 × 123 points; Google's hero image." },
];
const $ = (id) => document.getElementById(id);
// A refusal per program and kind, kept across redraws (the list is drawn again often).
const refusals = new Map();
let shown = null; // [programId, the images' state] last drawn

function token() {
  try { return JSON.parse(sessionStorage.getItem(SESSION))?.token ?? null; } catch { return null; }
}

const call = (path, options = {}) => api(path, { ...options, token: token() }).catch(() => ({
  ok: false, status: 0, data: { error: { message: "No connection: try again when the network is back." } } }));

// A refusal in plain words: the API's own message, with what to do about it.
function refusal(status, data) {
  const message = data?.error?.message;
  if (status === 403) return "Only an owner can change the brand images.";
  if (status === 413) return message || "The image is too large: at most 5 MB.";
  if (status === 415) return message || "Upload a PNG, JPEG or WebP image.";
  if (status === 422) return message || "The image cannot be read: it may be damaged or cut short.";
  return message || `The upload failed (the server answered ${status}); try again.`;
}

async function loadPrograms() {
  const select = $("images-program");
  const result = await call("/v1/programs?limit=100");
  if (!result.ok) { $("images-status").textContent = errorText(result); return; }
  const chosen = select.value;
  select.replaceChildren(...result.data.items.map((p) => el("option", { value: p.program_id }, p.name)));
  if (chosen && result.data.items.some((p) => p.program_id === chosen)) select.value = chosen;
  $("images-status").textContent = result.data.items.length ? "" : "Create a program first.";
  await loadImages();
}

async function loadImages() {
  const programId = $("images-program").value;
  if (!programId) { $("images-list").replaceChildren(); return; }
  const result = await call(`/v1/programs/${programId}/images`);
  if (!result.ok) { $("images-status").textContent = errorText(result); return; }
  $("images-status").textContent = "";
  shown = [programId, result.data];
  draw();
}

function draw() {
  if (!shown) return;
  const [programId, state] = shown;
  $("images-list").replaceChildren(...KINDS.map((k) => row(programId, k, state[k.kind])));
}

function refuse(programId, kind, text) {
  refusals.set(`${programId}/${kind}`, text);
  draw();
}

function row(programId, { kind, name, hint }, state) {
  const inputId = `images-file-${kind}`;
  const progress = el("progress", { max: "100", value: "0", class: "hidden", "aria-label": `${name} upload` });
  const status = el("p", { class: "note", role: "status" }, state.uploaded ? "Your upload." : "Generated from the design.");
  const error = el("p", { class: "error", role: "alert" }, refusals.get(`${programId}/${kind}`) ?? "");
  const image = el("img", {
    src: `/v1/programs/${programId}/images/${kind}.png?v=${state.version ?? "generated"}-${Date.now()}`,
    alt: `The current ${name.toLowerCase()}`, class: `brand-${kind}`,
  });
  const input = el("input", { id: inputId, type: "file", accept: TYPES.join(",") });
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    if (file) upload(programId, kind, file, { progress, status });
    input.value = "";
  });
  const generated = el("button", {
    type: "button", class: "secondary", disabled: !state.uploaded,
    onclick: () => useGenerated(programId, kind),
  }, "Use the generated image");
  return el("li", { class: "brand-image" },
    el("h3", {}, name), el("p", { class: "note" }, hint), image,
    el("label", { for: inputId }, `Upload a new ${name.toLowerCase()} (PNG, JPEG or WebP, at most 5 MB)`),
    input, progress, status, error, generated);
}

// XMLHttpRequest, not fetch: only it reports an upload's progress.
function upload(programId, kind, file, { progress, status }) {
  refusals.delete(`${programId}/${kind}`);
  if (file.size > MAX_BYTES) { refuse(programId, kind, "This file is over 5 MB: make it smaller, then try again."); return; }
  const request = new XMLHttpRequest();
  request.open("PUT", `/v1/programs/${programId}/images/${kind}`);
  request.setRequestHeader("Authorization", `Bearer ${token()}`);
  // The server judges the image by its bytes; the type only has to be a binary one.
  request.setRequestHeader("Content-Type", TYPES.includes(file.type) ? file.type : "application/octet-stream");
  progress.classList.remove("hidden");
  progress.value = 0;
  status.textContent = "Uploading…";
  request.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) progress.value = Math.round((event.loaded / event.total) * 100);
  });
  request.addEventListener("load", () => {
    progress.classList.add("hidden");
    let data = null;
    try { data = JSON.parse(request.responseText); } catch { data = null; }
    if (request.status !== 200) { status.textContent = ""; refuse(programId, kind, refusal(request.status, data)); return; }
    const members = data?.pass_updates?.members;
    // The rows are drawn again: the news goes to the section's own status line.
    loadImages().then(() => {
      $("images-status").textContent = members === undefined
        ? `The ${kind} is uploaded (the same image as before).`
        : `The ${kind} is uploaded: ${members} member pass(es) are being updated.`;
    });
  });
  request.addEventListener("error", () => {
    progress.classList.add("hidden");
    status.textContent = "";
    refuse(programId, kind, "No connection: try again when the network is back.");
  });
  request.send(file);
}

async function useGenerated(programId, kind) {
  refusals.delete(`${programId}/${kind}`);
  const result = await call(`/v1/programs/${programId}/images/${kind}`, { method: "DELETE" });
  if (!result.ok) { refuse(programId, kind, refusal(result.status, result.data)); return; }
  await loadImages();
  $("images-status").textContent = `The generated ${kind} is back.`;
}

$("images-program").addEventListener("change", loadImages);
// The console's program list redrawn (a program made or renamed): list them again.
const programList = $("programs");
if (programList) new MutationObserver(() => { if (token()) loadPrograms(); }).observe(programList, { childList: true });
// Shown when admin.js shows the console (after sign-in): then the programs are listed.
const consoleView = $("console");
new MutationObserver(() => {
  if (!consoleView.classList.contains("hidden") && token()) loadPrograms();
}).observe(consoleView, { attributes: true, attributeFilter: ["class"] });
if (!consoleView.classList.contains("hidden") && token()) loadPrograms();
