def test_create_and_get(client):
    r = client.post("/api/v1/contacts", json={"first_name": "Ada", "last_name": "Lovelace",
                                              "emails": [{"email": "ADA@Example.com"}],
                                              "phones": [{"number": "(415) 555-0132"}]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["emails"][0]["email"] == "ada@example.com"
    assert body["phones"][0]["e164"] == "+14155550132"
    r2 = client.get(f"/api/v1/contacts/{body['id']}")
    assert r2.status_code == 200
    assert r2.headers["etag"] == '"v1"'
    r3 = client.get("/api/v1/contacts", params={"q": "lovlace"})
    assert [c["id"] for c in r3.json()["items"]] == [body["id"]]
