// Starts Swagger UI on /api/v1/docs (the API reference). Loaded from /static: the page's
// Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  window.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    window.ui = window.SwaggerUIBundle({
      url: root.getAttribute("data-openapi"),
      domNode: root,
      deepLinking: true,
      validatorUrl: null, // never call out to a validator on another site
      defaultModelsExpandDepth: 0,
      docExpansion: "list",
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout"
    });
  });
})();
