import pytest


@pytest.mark.parametrize(
    ("path", "german", "english"),
    [
        ("/verzeichnis/?q=Kunststoff", "/verzeichnis/?q=Kunststoff", "/en/verzeichnis/?q=Kunststoff"),
        ("/en/verzeichnis/", "/verzeichnis/", "/en/verzeichnis/"),
        ("/gibt-es-nicht/", "/gibt-es-nicht/", "/en/gibt-es-nicht/"),
        ("/en/gibt-es-nicht/", "/gibt-es-nicht/", "/en/gibt-es-nicht/"),
    ],
)
def test_language_links_point_to_the_same_page_in_each_language(client, db, path, german, english):
    response = client.get(path)
    links = {link["code"]: link["url"] for link in response.context["language_links"]}
    assert links == {"de": german, "en": english}
