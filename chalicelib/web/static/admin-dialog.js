// A modal question that names the consequence before anything is changed; with
// `input`, it asks for a line of text too (a void's reason). Resolves to the text
// (or true) when confirmed, null when cancelled (Cancel, Escape).
import { el } from "/static/api.js";

export function ask({ title, text, action, input = null, danger = true }) {
  return new Promise((resolve) => {
    const field = input ? el("input", { id: "dialog-input", required: true, maxlength: input.maxlength ?? 200, autocomplete: "off" }) : null;
    const dialog = el("dialog", { class: "dialog", "aria-labelledby": "dialog-title", "aria-describedby": "dialog-text" },
      el("form", { method: "dialog" },
        el("h2", { id: "dialog-title" }, title),
        el("p", { id: "dialog-text" }, text),
        input ? [el("label", { for: "dialog-input" }, input.label), field] : null,
        el("div", { class: "row actions" },
          el("button", { type: "submit", value: "ok", class: danger ? "danger" : null }, action),
          el("button", { type: "button", class: "secondary", onclick: () => dialog.close("cancel") }, "Cancel"))));
    dialog.addEventListener("close", () => {
      const confirmed = dialog.returnValue === "ok";
      const value = field ? field.value.trim() : true;
      dialog.remove();
      resolve(confirmed ? value : null);
    });
    document.body.append(dialog);
    dialog.showModal();
    (field ?? dialog.querySelector("button")).focus();
  });
}
