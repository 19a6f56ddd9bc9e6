"""marshmallow schemas: what each route accepts (strict) and answers (documented in OpenAPI)."""
