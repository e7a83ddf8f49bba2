// Enrolment: the form, then the wallet buttons that fit this phone. The rules and every
// label come with the page, in its language; the scripts' own words go through t().
import { api, el } from "/static/api.js";
import { lang, t } from "/static/i18n.js";

const programId = document.body.dataset.program;
const form = document.getElementById("join");
const error = document.getElementById("error");

function walletOrder() {
  const ua = navigator.userAgent;
  if (/iPhone|iPad|iPod/.test(ua)) return ["apple", "google"];
  if (/Android/.test(ua)) return ["google", "apple"];
  return ["apple", "google"]; // a desktop: both, as they are
}

function showPasses(passes) {
  const buttons = {
    apple: passes.apple_url && el("a", { class: "wallet apple", href: passes.apple_url, id: "apple-wallet" }, t("Add to Apple Wallet")),
    google: passes.google_save_url && el("a", { class: "wallet google", href: passes.google_save_url, id: "google-wallet", rel: "noopener" }, t("Save to Google Wallet")),
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

// The API's refusals in the page's language (its own messages are English).
function refusal(result) {
  const code = result.data?.error?.code;
  if (code === "invalid") return t("Please check your name, email and birthday.");
  if (code === "too_many_enrolments") return t("Too many enrolments from here just now: wait a little and try again.");
  if (code === "not_found") return t("This program does not take enrolments.");
  return t("Something went wrong ({status}): please try again.", { status: result.status });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.textContent = "";
  const data = new FormData(form);
  if (!form.elements.name.value.trim() || !form.elements.email.value.trim()) return fail(t("Please give your name and email."));
  if (!form.elements.terms.checked) return fail(t("Please accept the program's terms to join."));
  const body = {
    name: data.get("name").trim(),
    email: data.get("email").trim(),
    consent: { terms: true, marketing: form.elements.marketing.checked },
    // The member's language: their card emails are written in it.
    language: lang(),
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
    else fail(refusal(result));
  } catch {
    fail(t("No connection: check your network and try again."));
  }
  button.disabled = false;
});
