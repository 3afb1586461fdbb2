"""``chalice`` with one change, for the smoke deploy against moto only (a test workaround).

Two gaps of moto's API Gateway (5.x), not of AWS's:
- ImportRestApi reads ``info.description`` unconditionally and answers 500 when the
  document has none; API Gateway accepts such a document and Chalice writes none;
- ImportRestApi and PutRestApi refuse Swagger 2.0 ("Only OpenAPI 3.x.x are currently
  supported"); API Gateway imports Swagger 2.0, which is what Chalice writes.
So the smoke test runs Chalice through this wrapper, which adds a description and labels
the document OpenAPI 3 (moto reads only its paths and methods). The product
(``deploy/``) runs the real ``chalice`` unchanged.
"""

from __future__ import annotations

import sys
from typing import Any

from chalice.cli import main
from chalice.deploy.swagger import SwaggerGenerator

_generate = SwaggerGenerator.generate_swagger


def _with_description(self: SwaggerGenerator, app: Any, rest_api: Any = None) -> Any:
    document = _generate(self, app, rest_api)
    document["info"].setdefault("description", app.app_name)
    document.pop("swagger", None)
    document["openapi"] = "3.0.1"
    return document


SwaggerGenerator.generate_swagger = _with_description  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
