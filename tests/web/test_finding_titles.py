"""Every validation finding has a title, translated into Chinese, for the pages."""

from __future__ import annotations

from hashwatch.i18n import load_translations
from hashwatch.reporting.rules import FINDING_CODES
from hashwatch.web.finding_titles import FINDING_TITLES
from hashwatch.web.pages.common import templates


def test_every_code_has_a_title() -> None:
    assert set(FINDING_TITLES) == set(FINDING_CODES)


def test_titles_are_translated_into_chinese() -> None:
    zh = load_translations()["zh"]
    untranslated = [t for t in FINDING_TITLES.values() if zh.gettext(t) == t]
    assert untranslated == []
    assert zh.gettext(FINDING_TITLES["submission.mining_exceeds_total"]) == (
        "挖矿用电量超过数据中心总用电量"
    )


def test_every_title_renders_in_a_page_template() -> None:
    # Jinja's newstyle _() %-formats every string; a title with a literal "%" ("0–100 %")
    # used to raise there, so pages showing that finding failed with 500
    for locale in ("zh", "en"):
        env = templates().environments[locale]
        page = env.from_string("{% for c in codes %}[{{ finding_title(c) }}]{% endfor %}")
        rendered = page.render(codes=sorted(FINDING_CODES))
        assert rendered.count("[") == len(FINDING_CODES)
        assert "0–100" in rendered


def test_template_strings_survive_jinja_formatting() -> None:
    """Every msgid the templates pass to ``_()``, and its translations, %-formats cleanly."""
    catalogs = load_translations()
    env = templates().environments["en"]
    for template_name in env.list_templates(extensions=["html"]):
        source = env.loader.get_source(env, template_name)[0]  # type: ignore[union-attr]
        for _, _, message in env.extract_translations(source):
            texts = [message if isinstance(message, str) else message[0]]
            texts += [catalogs[locale].gettext(texts[0]) for locale in ("zh", "en")]
            for text in texts:
                _format_like_jinja(text, template_name)


def _format_like_jinja(text: str, where: str) -> None:
    class Anything(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return key

    try:
        text % Anything()
    except (ValueError, TypeError) as exc:
        raise AssertionError(f"{where}: {text!r} cannot be %-formatted: {exc}") from None
