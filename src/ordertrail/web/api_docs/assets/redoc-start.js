// Starts ReDoc on this server's own OpenAPI document (read-only reference; requests are tried in /docs).

// ReDoc's colours as shipped fail WCAG AA contrast for its small text (response codes 4.3:1, type names 4.4:1,
// error tabs on the dark samples panel 4.3:1, code in an error's description 4.4:1): the same hues, darker on
// light ground and lighter on dark.
const theme = {
  colors: {
    text: { secondary: "#595959" },
    responses: {
      success: { color: "#14631c", tabTextColor: "#5fd16f" },
      error: { color: "#a3120f", tabTextColor: "#ff7a75" },
    },
  },
  schema: { typeNameColor: "#595959" },
  typography: { code: { color: "#9b1c1c" } },
};
const root = document.getElementById("redoc");
Redoc.init("/openapi.json", { hideDownloadButton: false, expandResponses: "200,201", theme }, root);

// ReDoc titles each operation with an h2 and the parts inside it ("Authorizations", "Request Body schema",
// "Response Schema") with h5, skipping two levels. Those parts are sections of the operation: they are announced
// as level 3, including the ones rendered later when a response is expanded.
new MutationObserver(() => {
  for (const heading of root.querySelectorAll("h5:not([aria-level])")) {
    heading.setAttribute("aria-level", "3");
  }
}).observe(root, { childList: true, subtree: true });
