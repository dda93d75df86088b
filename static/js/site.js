// Buttons marked .js-hide are for browsers without JavaScript (htmx does the job otherwise).
document.documentElement.classList.add("js");

// An upload checked by htmx is kept by the server (its id is in the swapped result):
// empty the file input so the form does not send the same file again.
document.addEventListener("htmx:afterRequest", (event) => {
  const input = event.detail.elt;
  if (input instanceof HTMLInputElement && input.type === "file" && input.hasAttribute("data-check-upload") && event.detail.successful) {
    input.value = "";
  }
});
