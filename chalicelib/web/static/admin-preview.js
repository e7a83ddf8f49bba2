// The live preview: a sample member's Apple pass (front and back) and Google card, drawn
// from what POST /v1/programs/preview answers: the service's own pass.json, Google
// class and object, and images. Nothing here decides what a pass shows; it lays it out.
import { el } from "/static/api.js";

const $ = (id) => document.getElementById(id);

export function drawPreview(preview) {
  $("preview-apple").replaceChildren(appleFront(preview.apple, preview.images), appleBack(preview.apple));
  $("preview-google").replaceChildren(googleCard(preview.google, preview.images));
}

// Apple's store card: logo and logo text, the strip with the balance over it, the
// secondary and auxiliary rows, and the barcode. Colours are pass.json's rgb() strings;
// left out, Wallet's defaults (white ground, black text).
function appleFront(pass, images) {
  const card = pass.storeCard ?? {};
  const fg = pass.foregroundColor ?? "rgb(0, 0, 0)";
  const colours = `--pass-bg: ${pass.backgroundColor ?? "rgb(255, 255, 255)"}; --pass-fg: ${fg}; --pass-label: ${pass.labelColor ?? fg}`;
  const code = pass.barcodes?.[0];
  return el("figure", { class: "apple-pass", id: "preview-apple-front", style: colours },
    el("figcaption", { class: "visually-hidden" }, "Apple Wallet pass, front"),
    el("div", { class: "ap-top" }, el("img", { src: images.logo, alt: "", class: "ap-logo" }),
      el("span", { class: "ap-logo-text" }, pass.logoText ?? ""), ...fields(card.headerFields, "ap-header")),
    el("div", { class: "ap-strip", style: `background-image: url("${images.strip}")` }, ...fields(card.primaryFields, "ap-primary")),
    el("div", { class: "ap-row" }, ...fields(card.secondaryFields, "ap-field")),
    el("div", { class: "ap-row" }, ...fields(card.auxiliaryFields, "ap-field")),
    code ? el("div", { class: "ap-barcode" }, el("img", { src: images.barcode, alt: "The member's QR code (a sample)" }),
      el("span", {}, code.altText ?? "")) : null);
}

function fields(list, className) {
  return (list ?? []).map((f) => el("div", { class: className },
    el("span", { class: "ap-label" }, f.label ?? ""), el("span", { class: "ap-value" }, String(f.value ?? ""))));
}

// The back: what the "i" button shows, label over value.
function appleBack(pass) {
  const back = pass.storeCard?.backFields ?? [];
  return el("figure", { class: "apple-back", id: "preview-apple-back" },
    el("figcaption", {}, "Back of the pass"),
    el("dl", {}, ...back.flatMap((f) => [el("dt", {}, f.label ?? ""), el("dd", {}, String(f.value ?? ""))])));
}

// Google's loyalty card: the class's logo, issuer and program name and colour; the
// object's account name, balances, text modules and barcode. Google picks the text
// colour itself from the background's lightness.
function googleCard(google, images) {
  const cls = google.loyalty_class ?? {};
  const obj = google.loyalty_object ?? {};
  const bg = cls.hexBackgroundColor ?? "#FFFFFF";
  const balance = (points) => {
    const b = points?.balance ?? {};
    return String(b.string ?? b.int ?? b.double ?? b.money?.micros ?? "");
  };
  const modules = [...(cls.textModulesData ?? []), ...(obj.textModulesData ?? [])];
  return el("figure", { class: "google-card", id: "preview-google-card", style: `--g-bg: ${bg}; --g-fg: ${inkOn(bg)}` },
    el("figcaption", { class: "visually-hidden" }, "Google Wallet card"),
    el("div", { class: "g-top" }, el("img", { src: cls.programLogo?.sourceUri?.uri ?? images.logo, alt: "", class: "g-logo" }),
      el("span", {}, cls.issuerName ?? "")),
    el("div", { class: "g-program" }, cls.programName ?? ""),
    el("div", { class: "g-row" },
      el("div", {}, el("span", { class: "g-label" }, obj.loyaltyPoints?.label ?? ""), el("span", { class: "g-value" }, balance(obj.loyaltyPoints))),
      el("div", {}, el("span", { class: "g-label" }, obj.secondaryLoyaltyPoints?.label ?? ""), el("span", { class: "g-value" }, balance(obj.secondaryLoyaltyPoints)))),
    el("div", { class: "g-row" }, el("div", {}, el("span", { class: "g-label" }, cls.accountNameLabel ?? "Member"), el("span", { class: "g-value" }, obj.accountName ?? ""))),
    obj.barcode ? el("div", { class: "g-barcode" }, el("img", { src: images.barcode, alt: "The member's QR code (a sample)" }),
      el("span", {}, obj.barcode.alternateText ?? "")) : null,
    modules.length ? el("dl", { class: "g-modules" }, ...modules.flatMap((m) => [el("dt", {}, m.header ?? ""), el("dd", {}, m.body ?? "")])) : null);
}

// Black or white, whichever reads on `hex` (WCAG relative luminance, as the pass images do).
function inkOn(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  const luminance = 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  return luminance > 0.18 ? "#212121" : "#FFFFFF";
}
