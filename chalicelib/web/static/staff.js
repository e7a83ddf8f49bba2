// The counter: sign in, find the member (camera, typed code, email), change the balance.
// Every tap becomes an action with its idempotency key, queued in localStorage and
// sent until the server answers: a retry after a lost answer replays the first
// response (docs/api.md), so an action is never applied twice. An answer that refuses
// (a 4xx, a 429 scan_limit included) is final: shown at once and dropped.
// The sign-in token lives in sessionStorage, like the console's: it ends with the tab.
// A purchase above the program's max_purchase is refused to a barista (403
// manager_required): a manager signs in on the spot, and their token records that one
// purchase, with the same key, and is then forgotten.
import { api, errorText, el, newKey } from "/static/api.js";

const SESSION = "loyalty.counter.session";
const QUEUE = "loyalty.counter.queue";
const RECENT = "loyalty.counter.recent";
const $ = (id) => document.getElementById(id);
const load = (key, fallback, store = localStorage) => { try { return JSON.parse(store.getItem(key)) ?? fallback; } catch { return fallback; } };
const save = (key, value, store = localStorage) => store.setItem(key, JSON.stringify(value));

let session = load(SESSION, null, sessionStorage);
let member = null;
let program = null;
const programs = new Map();
let flushing = false;
let retryTimer = null;

// ---- sign-in ---------------------------------------------------------------
function signedIn() {
  return session && Date.parse(session.expires_at) > Date.now();
}

function showScreen() {
  const inside = signedIn();
  $("login").classList.toggle("hidden", inside);
  $("counter").classList.toggle("hidden", !inside);
  if (inside) {
    $("who").textContent = `${session.staff.email} (${session.staff.role})`;
    // Actions tapped under another account are not sent under this one.
    const mine = (a) => a.staff_id === session.staff.staff_id;
    save(QUEUE, load(QUEUE, []).filter(mine));
    save(RECENT, load(RECENT, []).filter(mine));
    renderRecent();
    flush();
  } else {
    $("login-email").focus();
  }
}

$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    const result = await api("/v1/auth/login", { method: "POST", body: { email: $("login-email").value.trim(), password: $("login-password").value } });
    if (!result.ok) { $("login-error").textContent = errorText(result); return; }
    session = { token: result.data.token, expires_at: result.data.expires_at, staff: result.data.staff };
    save(SESSION, session, sessionStorage);
    $("login-password").value = "";
    showScreen();
  } catch {
    $("login-error").textContent = "No connection: sign-in needs the network.";
  }
});

$("logout").addEventListener("click", () => {
  sessionStorage.removeItem(SESSION);
  // What is still queued was tapped under this account: it leaves with it.
  localStorage.removeItem(QUEUE);
  localStorage.removeItem(RECENT);
  clearTimeout(retryTimer);
  session = null;
  member = null;
  $("member").classList.add("hidden");
  showScreen();
});

// ---- finding the member ----------------------------------------------------
async function programOf(id) {
  if (!programs.has(id)) {
    const result = await api(`/v1/programs/${encodeURIComponent(id)}`);
    if (result.ok) programs.set(id, result.data);
  }
  return programs.get(id) ?? null;
}

async function call(path, options = {}) {
  try {
    const result = await api(path, { ...options, token: session.token });
    if (result.status === 401) { session = null; sessionStorage.removeItem(SESSION); showScreen(); }
    return result;
  } catch {
    return { ok: false, status: 0, data: { error: { message: "No connection: try again when the network is back." } } };
  }
}

// What was typed: the card number under the QR code (12 symbols once spaces and
// dashes are gone; the server reads case and look-alikes), or a pasted barcode.
function typedCode(text) {
  return text.replace(/[\s-]/g, "").length <= 12 ? { card_number: text } : { barcode: text };
}

async function scan(body) {
  $("find-error").textContent = "";
  const result = await call("/v1/scans", { method: "POST", body });
  if (result.ok) await showFound(result.data);
  else $("find-error").textContent = errorText(result);
}

// A member just looked up: a fresh card, brought into view (on a phone it is below
// the scanner) with the focus on its name, so that Tab goes on to its actions.
async function showFound(view) {
  good("");
  $("action-error").textContent = "";
  await showMember(view);
  const still = matchMedia("(prefers-reduced-motion: reduce)").matches;
  $("member").scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
  $("member-name").focus({ preventScroll: true });
}

$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("code").value.trim();
  if (code) scan(typedCode(code));
});

$("email-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("find-error").textContent = "";
  $("matches").replaceChildren();
  const email = $("lookup-email").value.trim();
  if (!email) return;
  const result = await call(`/v1/members?email=${encodeURIComponent(email)}`);
  if (!result.ok) { $("find-error").textContent = errorText(result); return; }
  const items = result.data.items;
  if (items.length === 0) $("find-error").textContent = "No member with that email.";
  else if (items.length === 1) showFound(items[0]);
  else {
    const buttons = await Promise.all(items.map(async (m) => el("button", { type: "button", class: "secondary", onclick: () => showFound(m) },
      `${m.name ?? "Member"}: ${(await programOf(m.program_id))?.name ?? m.program_id}`)));
    $("matches").replaceChildren(...buttons);
  }
});

// ---- camera: the browser's BarcodeDetector where it exists, else jsQR ------
// jsQR (pinned in web-build/, copied by `make static`) is fetched only on a
// browser without BarcodeDetector, and only when the camera is started.
let lastRead = { value: "", at: 0 };
let jsQRLoading = null;

function loadJsQR() {
  jsQRLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "/static/vendor/jsQR.js";
    script.onload = () => (typeof window.jsQR === "function" ? resolve(window.jsQR) : reject(new Error("jsQR missing")));
    script.onerror = () => { jsQRLoading = null; reject(new Error("jsQR not loaded")); };
    document.head.append(script);
  });
  return jsQRLoading;
}

async function makeReader(video) {
  if ("BarcodeDetector" in window) {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    return async () => (await detector.detect(video))[0]?.rawValue;
  }
  const jsQR = await loadJsQR();
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  return async () => {
    const width = video.videoWidth, height = video.videoHeight;
    if (!width || !height) return undefined;
    // At most 640 pixels wide: enough for a pass's code, and cheap to decode.
    const scale = Math.min(1, 640 / width);
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    return jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" })?.data || undefined;
  };
}

let cameraOn = false;
$("camera").addEventListener("click", async () => {
  if (cameraOn) return;
  $("camera-note").textContent = "";
  let read, stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    const video = $("video");
    video.srcObject = stream;
    await video.play();
    read = await makeReader(video);
    video.parentElement.classList.add("live");
    cameraOn = true;
  } catch {
    stream?.getTracks().forEach((track) => track.stop());
    $("camera-note").textContent = "The camera is not available: type the code or look the customer up by email.";
    return;
  }
  const tick = async () => {
    try {
      const value = await read();
      if (value && (value !== lastRead.value || Date.now() - lastRead.at > 3000)) {
        lastRead = { value, at: Date.now() };
        scan({ barcode: value });
      }
    } catch { /* a frame that could not be read */ }
    setTimeout(tick, 250);
  };
  tick();
});

// ---- the member's card -----------------------------------------------------
async function showMember(view) {
  member = view;
  program = await programOf(view.program_id);
  $("matches").replaceChildren();
  $("member").classList.remove("hidden");
  $("member-name").textContent = `${view.name ?? "Member"}${program ? ` · ${program.name}` : ""}`;
  const stamps = program?.kind === "stamps";
  $("balance").textContent = stamps
    ? `${view.balances.stamps} / ${program.stamps.required} stamps`
    : `${view.balances.points} points`;
  $("tier").textContent = view.tier ?? "";
  $("tier").classList.toggle("hidden", !view.tier);
  $("stamp-actions").classList.toggle("hidden", !stamps);
  $("points-actions").classList.toggle("hidden", stamps);
  if (!stamps && program) {
    $("currency").textContent = program.points.currency;
    $("amount-hint").textContent = `For example 4${DECIMAL}50 (a comma or a point).`;
  }
  const rewards = view.rewards.map((r) => el("li", {}, el("span", {}, r.name),
    el("button", { type: "button", "aria-label": `Redeem ${r.name}`, onclick: () => confirmRedeem(r.name, view, { reward_id: r.reward_id }) }, "Redeem")));
  for (const item of (!stamps && program?.points.catalog) || []) {
    rewards.push(el("li", {}, el("span", {}, `${item.name} (${item.cost} points)`),
      el("button", { type: "button", "aria-label": `Redeem ${item.name}`, disabled: view.balances.points < item.cost,
        onclick: () => confirmRedeem(`${item.name} (${item.cost} points)`, view, { catalog_item_id: item.id }) }, "Redeem")));
  }
  $("rewards").replaceChildren(...(rewards.length ? rewards : [el("li", { class: "note" }, "None yet.")]));
}

$("stamp-one").addEventListener("click", () => act("+1 stamp", member, "stamps", { count: 1 }));
$("stamp-n").addEventListener("click", () => {
  const count = Number.parseInt($("stamp-count").value, 10);
  if (!(count >= 1)) { $("action-error").textContent = "Enter how many stamps, 1 or more."; return; }
  act(`+${count} stamps`, member, "stamps", { count });
});

// ---- amounts, as this browser's locale writes them ----------------------------
// "4,50" in France, "4.50" in England: either mark is read as the decimal one, and a
// grouping mark ("1 234,50", "1.234,50") is dropped. The API takes "4.50".
const DECIMAL = new Intl.NumberFormat(navigator.language).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".";

function decimalsOf(currency) {
  try { return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits; } catch { return 2; }
}

function parseAmount(text, currency) {
  let plain = text.replace(/[\s\u00a0\u202f']/g, "");
  const group = DECIMAL === "," ? "." : ",";
  if (plain.includes(",") && plain.includes(".")) plain = plain.split(group).join("");
  plain = plain.replace(",", ".");
  const places = decimalsOf(currency);
  const shape = places ? new RegExp(`^\\d+(\\.\\d{1,${places}})?$`) : /^\d+$/;
  return shape.test(plain) && Number(plain) > 0 ? plain : null;
}

function shown(amount) {
  return DECIMAL === "." ? amount : amount.replace(".", DECIMAL);
}

const keypad = document.querySelector(".keypad");
for (const key of ["1", "2", "3", "4", "5", "6", "7", "8", "9", DECIMAL, "0", "⌫"]) {
  const label = key === "⌫" ? "Delete" : key === DECIMAL ? (DECIMAL === "," ? "Decimal comma" : "Decimal point") : key;
  keypad.append(el("button", { type: "button", "aria-label": label, onclick: () => {
    const input = $("amount");
    input.value = key === "⌫" ? input.value.slice(0, -1) : input.value + key;
  } }, key));
}
$("purchase").addEventListener("click", () => {
  const currency = program.points.currency;
  const amount = parseAmount($("amount").value.trim(), currency);
  if (!amount) { $("action-error").textContent = `Enter the amount paid, like 4${DECIMAL}50.`; return; }
  act(`Purchase ${shown(amount)} ${currency}`, member, "purchases", { amount: { amount, currency } });
  $("amount").value = "";
});

// ---- redeeming: asked, then confirmed ----------------------------------------------
let redeeming = null;
function confirmRedeem(name, view, body) {
  redeeming = { name, view, body };
  $("redeem-text").textContent = `Redeem ${name} for ${view.name ?? "this member"}? It cannot be used again.`;
  $("redeem-dialog").showModal();
  $("redeem-yes").focus();
}
$("redeem-yes").addEventListener("click", () => {
  $("redeem-dialog").close();
  if (redeeming) act(`Redeem ${redeeming.name}`, redeeming.view, "redemptions", redeeming.body);
  redeeming = null;
});
$("redeem-no").addEventListener("click", () => { redeeming = null; $("redeem-dialog").close(); });

function good(text) {
  $("action-note").textContent = text;
  $("action-note").classList.toggle("hidden", !text);
}

// ---- the queue -------------------------------------------------------------
function act(label, view, kind, body) {
  $("action-error").textContent = "";
  good("");
  const key = newKey(); // made at the tap: every retry of this action carries it
  const action = { key, label, name: view.name ?? "Member", path: `/v1/members/${encodeURIComponent(view.member_id)}/${kind}`,
    body: { ...body, idempotency_key: key }, attempts: 0 };
  enqueue(action);
}

function enqueue(action) {
  action.staff_id = session.staff.staff_id;
  save(QUEUE, [...load(QUEUE, []), action]);
  const recent = load(RECENT, []);
  recent.unshift({ key: action.key, label: action.label, name: action.name, staff_id: action.staff_id, state: "sending", at: new Date().toISOString() });
  save(RECENT, recent.slice(0, 10));
  renderRecent();
  flush();
}

function setRecent(key, changes) {
  save(RECENT, load(RECENT, []).map((r) => (r.key === key ? { ...r, ...changes } : r)));
}

function scheduleRetry(attempts) {
  clearTimeout(retryTimer);
  retryTimer = setTimeout(flush, Math.min(30000, 1000 * 2 ** Math.min(attempts, 5)));
}

// Retried: what never got the server's decision. A 429 scan_limit is its decision
// (the cooldown or the day's limit): sending it again later would get round the limit.
function unanswered(result) {
  if (!result || result.status >= 500) return true;
  return result.status === 429 && result.data?.error?.code !== "scan_limit";
}

async function flush() {
  if (flushing || !signedIn()) return;
  flushing = true;
  try {
    for (;;) {
      const [action] = load(QUEUE, []);
      if (!action) break;
      let result;
      try {
        result = await api(action.path, { method: "POST", body: action.body, token: session.token });
      } catch {
        result = null; // no answer: the network, or the server never replied
      }
      if (unanswered(result) || result.status === 401) {
        action.attempts += 1;
        save(QUEUE, load(QUEUE, []).map((a) => (a.key === action.key ? action : a)));
        setRecent(action.key, { state: "queued" });
        if (result?.status === 401) { session = null; sessionStorage.removeItem(SESSION); showScreen(); }
        else scheduleRetry(action.attempts);
        break;
      }
      save(QUEUE, load(QUEUE, []).filter((a) => a.key !== action.key));
      if (result.ok) {
        await succeeded(action, result);
      } else if (result.status === 403 && result.data?.error?.code === "manager_required") {
        setRecent(action.key, { state: "approval", message: "a manager must approve" });
        askManager(action, errorText(result));
      } else {
        setRecent(action.key, { state: "failed", message: errorText(result) });
        $("action-error").textContent = `${action.name}, ${action.label}: ${errorText(result)}`;
      }
      renderRecent();
    }
  } finally {
    flushing = false;
    renderRecent();
  }
}

// Good news in the success colour: the error line is for refusals only.
async function succeeded(action, result) {
  const txn = result.data.transaction;
  setRecent(action.key, { state: "done", transaction_id: txn?.transaction_id, message: given(txn) });
  if (result.data.member && member?.member_id === result.data.member.member_id) await showMember(result.data.member);
  const unlocked = result.data.rewards_unlocked || [];
  if (unlocked.length) good(`Reward unlocked for ${action.name}: ${unlocked.map((r) => r.name).join(", ")}. Tell them!`);
  else if (txn?.reward) good(`${txn.reward.name} redeemed for ${action.name}. Enjoy!`);
  else if (txn) good(`${action.name}: ${given(txn) ?? `${action.label} done`}.`);
  renderRecent();
}

// ---- a manager's approval, asked for on the spot ------------------------------------
// Built when needed, not in the page: its email and password fields exist only while
// it is open. The manager's token records this one action (its key unchanged: the
// refusal wrote nothing) and is dropped with the dialog, never stored.
function askManager(action, message) {
  $("manager-dialog")?.remove();
  const email = el("input", { id: "manager-email", type: "email", autocomplete: "off", required: true });
  const password = el("input", { id: "manager-password", type: "password", autocomplete: "off", required: true });
  const error = el("p", { id: "manager-error", class: "error", role: "alert" });
  const approve = el("button", { type: "submit" }, "Approve and record");
  const form = el("form", {},
    el("h2", { id: "manager-title" }, "A manager must approve"),
    el("p", { id: "manager-text" }, `${action.name}, ${action.label}: ${message}`),
    el("label", { for: "manager-email" }, "Manager's email"), email,
    el("label", { for: "manager-password" }, "Manager's password"), password,
    error,
    el("div", { class: "row" }, approve,
      el("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, "Cancel")));
  const dialog = el("dialog", { id: "manager-dialog", "aria-labelledby": "manager-title", "aria-describedby": "manager-text" }, form);
  let recorded = false;
  dialog.addEventListener("close", () => {
    if (!recorded) {
      setRecent(action.key, { state: "failed", message: "not recorded: no manager approved it" });
      renderRecent();
    }
    dialog.remove();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    approve.disabled = true;
    try {
      const login = await api("/v1/auth/login", { method: "POST", body: { email: email.value.trim(), password: password.value } });
      if (!login.ok) { error.textContent = errorText(login); return; }
      if (login.data.staff.role === "barista") { error.textContent = "This is a barista's account: a manager or the owner must approve."; return; }
      const result = await api(action.path, { method: "POST", body: action.body, token: login.data.token });
      if (!result.ok) { error.textContent = errorText(result); return; }
      recorded = true;
      dialog.close();
      await succeeded(action, result);
    } catch {
      error.textContent = "No connection: try again when the network is back.";
    } finally {
      password.value = "";
      approve.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  email.focus();
}

// What the change gave, as its ledger entry says: ten stamps that fill a ten-stamp
// card are "10 stamps given", though the balance's net change is 0.
function given(txn) {
  if (!txn) return undefined;
  const parts = [];
  if (txn.stamps_added) parts.push(`${txn.stamps_added} stamp${txn.stamps_added === 1 ? "" : "s"} given`);
  if (txn.points_added) parts.push(`${txn.points_added} point${txn.points_added === 1 ? "" : "s"} given`);
  for (const reward of txn.rewards_unlocked ?? []) parts.push(`${reward.name} unlocked`);
  if (txn.reward) parts.push(`${txn.reward.name} redeemed`);
  return parts.join(", ") || undefined;
}

function renderRecent() {
  const queued = load(QUEUE, []).filter((a) => a.attempts > 0).length;
  $("queue-status").textContent = queued ? `${queued} action${queued > 1 ? "s" : ""} queued, will retry when the connection is back.` : "";
  $("queue-status").classList.toggle("hidden", !queued);
  const manager = signedIn() && session.staff.role !== "barista";
  const text = { sending: "sending…", queued: "queued, will retry", done: "done", failed: "refused", voided: "undone", approval: "waiting" };
  $("recent").replaceChildren(...load(RECENT, []).map((r) => el("li", {},
    el("span", {}, r.name ? `${r.name} · ${r.label}` : r.label, " · ", el("span", { class: `state-${r.state}` }, r.message ? `${text[r.state]}: ${r.message}` : text[r.state])),
    manager && r.state === "done" && r.transaction_id && !r.label.startsWith("Undo")
      ? el("button", { type: "button", class: "secondary", onclick: () => undo(r) }, "Undo") : null)));
}

function undo(entry) {
  setRecent(entry.key, { state: "voided" });
  const key = newKey();
  enqueue({ key, label: `Undo ${entry.label}`, name: entry.name, path: `/v1/transactions/${encodeURIComponent(entry.transaction_id)}/void`,
    body: { idempotency_key: key }, attempts: 0 });
}

window.addEventListener("online", flush);
showScreen();
