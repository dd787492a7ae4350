// Starts Swagger UI on this server's own OpenAPI document. "Authorize" takes an API key (sent as
// "Authorization: Bearer <key>"); persistAuthorization keeps it across reloads in this browser only.

// Swagger UI's title is an h1 and each group of operations an h3: an h2 (for screen readers only) between them
// keeps the heading levels in order. The title and the server list sit outside Swagger UI's <main>: each goes in
// a landmark of its own, so that nothing on the page is outside one.
const Landmarks = () => ({
  wrapComponents: {
    operations: (Original, system) => (props) =>
      system.React.createElement(
        "div",
        null,
        system.React.createElement("h2", { className: "visually-hidden" }, "Operations"),
        system.React.createElement(Original, props),
      ),
    InfoContainer: (Original, system) => (props) =>
      system.React.createElement(
        "section",
        { "aria-label": "About this API" },
        system.React.createElement(Original, props),
      ),
    ServersContainer: (Original, system) => (props) =>
      system.React.createElement("section", { "aria-label": "Server" }, system.React.createElement(Original, props)),
  },
});

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  // Deep links would put a link inside each operation's expand button: a control inside a control, which
  // keyboard and screen-reader users cannot reach on its own.
  deepLinking: false,
  persistAuthorization: true,
  tryItOutEnabled: true,
  validatorUrl: null, // Swagger UI would otherwise send the document to validator.swagger.io
  // Its syntax colours on the dark example panels fail contrast (numbers at 3.5:1): examples are shown plain.
  syntaxHighlight: false,
  presets: [SwaggerUIBundle.presets.apis],
  plugins: [Landmarks],
  layout: "BaseLayout",
  // "Try it out" calls the server showing these docs, whatever name it was reached by (the document's server is
  // the public address, which in development may be localhost while the browser says 127.0.0.1).
  requestInterceptor: (request) => {
    const target = new URL(request.url, window.location.href);
    if (target.origin !== window.location.origin && target.pathname !== "/openapi.json") {
      request.url = window.location.origin + target.pathname + target.search;
    }
    return request;
  },
});

// What only the rendered page can fix, done as each part renders (and again if a re-render replaces it): the
// server list is a <select> inside an empty <label>, the request-body editor a <textarea> without a label, the
// example panels scroll but cannot take the keyboard's focus (so keyboard users could not scroll them), and the
// "Schemas" heading is an h4 after the "Webhooks" section's h2, skipping a level: it is announced as level 3.
const root = document.getElementById("swagger-ui");
new MutationObserver(() => {
  const servers = document.getElementById("servers");
  if (servers && !servers.hasAttribute("aria-label")) {
    servers.setAttribute("aria-label", "Server");
  }
  for (const editor of root.querySelectorAll(".body-param textarea:not([aria-label])")) {
    editor.setAttribute("aria-label", "Request body");
  }
  for (const heading of root.querySelectorAll("section.models > h4:not([aria-level])")) {
    heading.setAttribute("aria-level", "3");
  }
  for (const example of root.querySelectorAll(".highlight-code > pre:not([tabindex])")) {
    example.setAttribute("tabindex", "0");
  }
}).observe(root, { childList: true, subtree: true });
