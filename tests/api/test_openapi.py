from django.test import Client

PATHS = {"/api/people/{eppn}", "/api/cards", "/api/cards/{card_id}",
         "/api/cards/{card_id}/transitions"}


def test_openapi_document_lists_the_endpoints(db):
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "CampusCard API"
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) >= PATHS
    assert "post" in schema["paths"]["/api/cards/{card_id}/transitions"]
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()


def test_docs_page_works_without_a_cdn(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/api/openapi.json" in page
    assert "cdn" not in page.lower()
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-init.js"):
        assert f"/api/docs/assets/{asset}" in page
        served = Client().get(f"/api/docs/assets/{asset}")
        assert served.status_code == 200
        assert b"".join(served.streaming_content)


def test_docs_assets_are_limited_to_the_known_files(db):
    assert Client().get("/api/docs/assets/swagger-ui.css.map").status_code == 404
    assert Client().get("/api/docs/assets/..%2F__init__.py").status_code == 404


def test_every_operation_documents_its_refusals_with_the_error_body(db):
    schema = Client().get("/api/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            expected = {"200", "400", "401", "403", "422"}  # 400: a NUL anywhere
            if "{" in path:
                expected.add("404")
            if "requestBody" in operation:
                expected |= {"409", "413"}
            if path.endswith("/sync"):
                expected.add("503")  # a source could not be read: nothing changed
            assert set(responses) == expected, (method, path)
            for status in expected - {"200"}:
                body = responses[status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
    error = schema["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
    assert {"detail", "code", "errors", "request_id"} <= set(error["properties"])
