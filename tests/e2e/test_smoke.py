from tests.support import Api


def test_health_and_openapi(api: Api) -> None:
    assert api.http.get("/healthz").status_code == 200
    spec = api.http.get("/openapi.json").json()
    assert "/api/v1/conversations" in spec["paths"]


def test_greeting_discloses_ai_and_how_to_reach_a_person(api: Api) -> None:
    conv = api.start()
    assert conv["status"] == "bot" and conv["tier"] == 1
    [greeting] = conv["messages"]
    assert greeting["author"] == "ai"
    assert "You're chatting with our AI assistant" in greeting["text"]
    assert "agent" in greeting["text"].lower()
