// Enrolment: the program's rules, the form, then the wallet buttons that fit this phone.
import { api, errorText, el, rulesOf } from "/static/api.js";

const programId = document.body.dataset.program;
const form = document.getElementById("join");
const error = document.getElementById("error");

async function showRules() {
  const result = await api(`/v1/programs/${encodeURIComponent(programId)}`);
  const list = document.getElementById("rules");
  list.replaceChildren(...(result.ok ? rulesOf(result.data) : ["The rules could not be loaded."]).map((t) => el("li", {}, t)));
}

function walletOrder() {
  const ua = navigator.userAgent;
  if (/iPhone|iPad|iPod/.test(ua)) return ["apple", "google"];
  if (/Android/.test(ua)) return ["google", "apple"];
  return ["apple", "google"]; // a desktop: both, as they are
}

function showPasses(passes) {
  const buttons = {
    apple: passes.apple_url && el("a", { class: "wallet apple", href: passes.apple_url, id: "apple-wallet" }, "Add to Apple Wallet"),
    google: passes.google_save_url && el("a", { class: "wallet google", href: passes.google_save_url, id: "google-wallet", rel: "noopener" }, "Save to Google Wallet"),
  };
  document.getElementById("wallets").replaceChildren(...walletOrder().map((k) => buttons[k]).filter(Boolean));
  form.classList.add("hidden");
  const done = document.getElementById("done");
  done.classList.remove("hidden");
  done.focus();
}

// An address already enrolled: the answer holds no card, which went to that address.
function showAlreadyEnrolled(message) {
  document.getElementById("already-message").textContent = message;
  form.classList.add("hidden");
  const already = document.getElementById("already");
  already.classList.remove("hidden");
  already.focus();
}

function fail(message) {
  error.textContent = message;
  error.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const data = new FormData(form);
  if (!form.elements.name.value.trim() || !form.elements.email.value.trim()) return fail("Please give your name and email.");
  if (!form.elements.terms.checked) return fail("Please accept the program's terms to join.");
  const body = {
    name: data.get("name").trim(),
    email: data.get("email").trim(),
    consent: { terms: true, marketing: form.elements.marketing.checked },
  };
  // Asked only where the program has a birthday treat (the page leaves it out otherwise).
  const birthday = (data.get("birthday") || "").trim();
  if (birthday) body.birthday = birthday;
  const button = document.getElementById("submit");
  button.disabled = true;
  try {
    const result = await api(`/v1/programs/${encodeURIComponent(programId)}/enrollments`, { method: "POST", body });
    if (result.ok && result.data.status === "already_enrolled") showAlreadyEnrolled(result.data.message);
    else if (result.ok) showPasses(result.data.passes);
    else fail(errorText(result));
  } catch {
    fail("No connection: check your network and try again.");
  } finally {
    button.disabled = false;
  }
});

showRules();
