// Starts Swagger UI on the API documentation page (/api/docs/). A served file, not an
// inline script: the server's Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";

  // The value of the cookie `name`, or null.
  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var part = parts[i].trim();
      if (part.indexOf(name + "=") === 0) {
        return decodeURIComponent(part.substring(name.length + 1));
      }
    }
    return null;
  }

  var SAFE_METHODS = ["GET", "HEAD", "OPTIONS", "TRACE"];

  window.addEventListener("load", function () {
    var root = document.getElementById("swagger-ui");
    window.ui = SwaggerUIBundle({
      url: root.getAttribute("data-openapi-url") || "/api/docs/?format=openapi",
      dom_id: "#swagger-ui",
      deepLinking: true,
      // No call to the public validator: the page stays on this server.
      validatorUrl: null,
      persistAuthorization: false,
      // "Try it out" with the browser's session: unsafe calls repeat the csrftoken
      // cookie in X-CSRFToken, as the server's CSRF check requires. Calls authorised
      // with a token (the Authorize button, "Token <key>") do not need it.
      requestInterceptor: function (request) {
        var method = (request.method || "GET").toUpperCase();
        if (SAFE_METHODS.indexOf(method) === -1) {
          var token = cookie("csrftoken");
          if (token) {
            request.headers = request.headers || {};
            request.headers["X-CSRFToken"] = token;
          }
        }
        return request;
      },
    });
  });
})();
