// Offline API reference: renders /openapi.json with DOM nodes (used when Swagger UI's files are not installed).
"use strict";

(function () {
  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function resolve(spec, schema) {
    if (schema && schema.$ref) {
      const name = schema.$ref.split("/").pop();
      return (spec.components && spec.components.schemas && spec.components.schemas[name]) || schema;
    }
    return schema;
  }

  function render(spec) {
    const main = document.getElementById("api");
    main.replaceChildren();
    if (spec.info && spec.info.description) main.appendChild(el("p", "", spec.info.description));
    for (const [path, ops] of Object.entries(spec.paths || {})) {
      for (const [method, op] of Object.entries(ops)) {
        const sec = el("section", "pane");
        sec.appendChild(el("h2", "", method.toUpperCase() + " " + path));
        if (op.summary) sec.appendChild(el("p", "", op.summary));
        if (op.description && op.description !== op.summary) sec.appendChild(el("p", "hint", op.description));
        const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
        if (body) {
          sec.appendChild(el("h3", "", "Request body"));
          sec.appendChild(el("pre", "textview", JSON.stringify(resolve(spec, body.schema), null, 2)));
        }
        sec.appendChild(el("h3", "", "Responses"));
        const list = el("ul");
        for (const [code, resp] of Object.entries(op.responses || {})) {
          const content = resp.content && resp.content["application/json"];
          const schema = content ? resolve(spec, content.schema) : null;
          const title = schema && schema.title ? " \u2014 " + schema.title : "";
          list.appendChild(el("li", "", code + ": " + (resp.description || "") + title));
        }
        sec.appendChild(list);
        main.appendChild(sec);
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    fetch("/openapi.json")
      .then((r) => r.json())
      .then(render)
      .catch((err) => {
        document.getElementById("api").textContent = "Cannot load /openapi.json: " + err.message;
      });
  });
})();
