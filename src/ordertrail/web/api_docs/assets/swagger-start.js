// Starts Swagger UI on this server's own OpenAPI document. "Authorize" takes an API key (sent as
// "Authorization: Bearer <key>"); persistAuthorization keeps it across reloads in this browser only.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  validatorUrl: null, // Swagger UI would otherwise send the document to validator.swagger.io
  presets: [SwaggerUIBundle.presets.apis],
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
